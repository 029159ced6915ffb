// Small DOM helpers. Data only ever reaches the page through text nodes and attribute values
// (never innerHTML), so a name like <img src=x onerror=…> is shown as the text it is.

/**
 * Creates an element. attrs: `class`, `text` (textContent), `on` ({event: handler}), `dataset`,
 * boolean/`hidden`/`disabled`/`checked`/`value` as properties, anything else via setAttribute
 * (null/false values are skipped). children: nodes, strings (as text) or arrays of them; null skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (['hidden', 'disabled', 'checked', 'value', 'selected', 'required'].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Sets text only when it differs, so an unchanged node is left alone. */
export function setText(el, text) {
  const t = text ?? '';
  if (el.textContent !== t) el.textContent = t;
}

/**
 * Brings a keyed list in `container` in line with `items`: existing children (by key) are
 * updated in place and only moved if out of order, new ones created, missing ones removed. So
 * an open form, focus or caret inside a row survives a refresh.
 * create(item) → component with `.el` and `.update(item)`; components: Map key → component.
 */
export function syncList(container, items, key, create, components) {
  const seen = new Set();
  let cursor = container.firstElementChild;
  for (const item of items) {
    const k = key(item);
    seen.add(k);
    let comp = components.get(k);
    if (comp) comp.update(item);
    else {
      comp = create(item);
      components.set(k, comp);
    }
    if (comp.el !== cursor) container.insertBefore(comp.el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const [k, comp] of components) {
    if (!seen.has(k)) {
      comp.destroy?.();
      comp.el.remove();
      components.delete(k);
    }
  }
}

/** Restarts the "changed" highlight on an element. */
export function flash(el) {
  el.classList.remove('flash');
  void el.offsetWidth; // restart the CSS animation
  el.classList.add('flash');
}

let idSeq = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

/**
 * Runs `mutate` (which inserts or removes content) so that what the user is looking at does not
 * move: the focused element if there is one, else — once the page is scrolled — the first
 * element of `container` still in view. At the very top with nothing focused, new content above
 * pushes the rest down into view, as a newest-first list should. Content inside `container` is
 * excluded from the browser's own scroll anchoring (CSS `overflow-anchor: none`), so only this
 * adjusts, the same way in every browser.
 */
export function keepInView(container, mutate) {
  let anchor = document.activeElement;
  if (!anchor || anchor === document.body || anchor === document.documentElement) {
    anchor = null;
    if (window.scrollY > 0) {
      for (const el of container.children) {
        if (el.getBoundingClientRect().bottom > 0) {
          anchor = el;
          break;
        }
      }
    }
  }
  const top = anchor?.getBoundingClientRect().top;
  mutate();
  if (!anchor?.isConnected) return;
  const moved = anchor.getBoundingClientRect().top - top;
  if (moved) window.scrollBy(0, moved);
}
