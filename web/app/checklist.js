// A subcomponent's checklist: tick, rename, remove and add items, and "mark all done". Every
// change is one PUT of the whole list with If-Match, computed from the newest row we have when
// it runs (changes made quickly one after another are queued, never sent with a stale rev).

import { h, setText, syncList, uid } from './dom.js';
import { changer } from './changed_by.js';

export function checklist(ctx) {
  return (card) => {
    const progress = h('span', { class: 'progress' });
    const markAll = h('button', { type: 'button', class: 'small', text: 'Mark all done' });
    const list = h('ul', { class: 'checklist-items' });
    const addInput = h('input', { type: 'text', maxlength: 200, autocomplete: 'off', placeholder: 'New item' });
    const addError = h('p', { class: 'field-error', id: uid('add-err'), hidden: true });
    const addId = uid('add-item');
    addInput.id = addId;
    const addForm = h(
      'form',
      { class: 'checklist-add' },
      h('label', { class: 'visually-hidden', for: addId, text: 'New checklist item' }),
      addInput,
      h('button', { type: 'submit', class: 'small', text: 'Add' }),
      addError,
    );
    const items = new Map();
    let queue = Promise.resolve();

    const el = h(
      'section',
      { class: 'checklist', 'aria-label': 'Checklist' },
      h('div', { class: 'checklist-head' }, h('h4', { text: 'Checklist' }), progress, markAll),
      list,
      addForm,
    );

    /** Queues one change: edit(items) → new items array, or null to skip. Resolves true if saved. */
    function change(edit, what) {
      const run = async () => {
        const current = card.row.checklist ?? [];
        const next = edit(current.map((i) => ({ id: i.id, label: i.label, done: !!i.done })));
        if (!next) return false;
        try {
          const row = await ctx.api.mutate(
            'PUT',
            `/api/subcomponents/${encodeURIComponent(card.row.id)}/checklist`,
            { items: next },
            card.row.rev,
          );
          card.update(row, { own: true });
          return true;
        } catch (err) {
          if (err.status === 412 && err.details?.current) {
            card.update(err.details.current);
            ctx.notices.show(
              `${changer(card.row)} changed the checklist of “${card.row.name}”, so ${what} was not applied. It now shows their version; please try again.`,
              { error: true },
            );
          } else if (err.status === 422) {
            const d = err.details && typeof err.details === 'object' ? Object.values(err.details).join('; ') : '';
            ctx.notices.show(`Could not save ${what}: ${d || err.message}`, { error: true });
          } else {
            ctx.notices.show(`Could not save ${what}: ${err.message}`, { error: true });
          }
          card.render(); // put the controls back to the row's state
          return false;
        }
      };
      const p = queue.then(run);
      queue = p.catch(() => false);
      return p;
    }

    markAll.addEventListener('click', () =>
      change((all) => (all.every((i) => i.done) ? null : all.map((i) => ({ ...i, done: true }))), 'marking all done'),
    );

    addForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const label = addInput.value.trim();
      addError.hidden = true;
      addInput.removeAttribute('aria-invalid');
      if (!label) {
        addError.textContent = 'Type the item first.';
        addError.hidden = false;
        addInput.setAttribute('aria-invalid', 'true');
        addInput.setAttribute('aria-describedby', addError.id);
        return;
      }
      const ok = await change((all) => [...all, { label, done: false }], `the new item “${label}”`);
      if (ok) {
        addInput.value = '';
        addInput.focus();
      }
    });

    function itemView(item) {
      const id = uid('item');
      const box = h('input', { type: 'checkbox', id });
      const label = h('label', { for: id });
      const renameInput = h('input', { type: 'text', maxlength: 200, hidden: true, 'aria-label': 'Item label' });
      const renameButton = h('button', { type: 'button', class: 'small link', text: 'Rename' });
      const removeButton = h('button', { type: 'button', class: 'small link', text: 'Remove' });
      const li = h('li', { class: 'checklist-item' }, box, label, renameInput, renameButton, removeButton);
      const comp = {
        el: li,
        item,
        renaming: false,
        update(it) {
          comp.item = it;
          if (!box.hasAttribute('aria-busy')) box.checked = !!it.done;
          setText(label, it.label);
          li.classList.toggle('done', !!it.done);
          renameButton.setAttribute('aria-label', `Rename “${it.label}”`);
          removeButton.setAttribute('aria-label', `Remove “${it.label}”`);
        },
      };
      box.addEventListener('change', async () => {
        box.setAttribute('aria-busy', 'true');
        const done = box.checked;
        await change(
          (all) => all.map((i) => (i.id === comp.item.id ? { ...i, done } : i)),
          `ticking “${comp.item.label}”`,
        );
        box.removeAttribute('aria-busy');
        box.checked = !!comp.item.done;
      });
      const endRename = (save) => {
        if (!comp.renaming) return;
        comp.renaming = false;
        const text = renameInput.value.trim();
        renameInput.hidden = true;
        label.hidden = false;
        renameButton.hidden = false;
        renameButton.focus();
        if (save && text && text !== comp.item.label) {
          change((all) => all.map((i) => (i.id === comp.item.id ? { ...i, label: text } : i)), `renaming “${comp.item.label}”`);
        }
      };
      renameButton.addEventListener('click', () => {
        comp.renaming = true;
        renameInput.value = comp.item.label;
        renameInput.hidden = false;
        label.hidden = true;
        renameButton.hidden = true;
        renameInput.focus();
        renameInput.select();
      });
      renameInput.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
          ev.preventDefault();
          endRename(true);
        } else if (ev.key === 'Escape') {
          ev.preventDefault();
          endRename(false);
        }
      });
      renameInput.addEventListener('blur', () => endRename(true));
      removeButton.addEventListener('click', () =>
        change((all) => all.filter((i) => i.id !== comp.item.id), `removing “${comp.item.label}”`),
      );
      comp.update(item);
      return comp;
    }

    return {
      el,
      update(row) {
        const all = row.checklist ?? [];
        syncList(list, all, (i) => i.id, itemView, items);
        const done = all.filter((i) => i.done).length;
        setText(progress, all.length ? `${done} of ${all.length} done` : 'No items yet');
        markAll.disabled = all.length === 0 || done === all.length;
        markAll.setAttribute('aria-label', `Mark all items of “${row.name}” done`);
      },
    };
  };
}
