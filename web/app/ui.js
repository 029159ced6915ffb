// Shared pieces of the interface: status names, the entity form (inline 422 errors, conflict
// notice), the confirmation dialog and the notices region.

import { h, uid } from './dom.js';

export const STATUSES = Object.freeze([
  ['planned', 'Planned'],
  ['active', 'Active'],
  ['on_hold', 'On hold'],
  ['done', 'Done'],
]);

export function statusLabel(status) {
  return STATUSES.find(([v]) => v === status)?.[1] ?? String(status ?? '');
}

const FIELD_DEFS = {
  name: { label: 'Name', kind: 'input', attrs: { required: true, maxlength: 200, autocomplete: 'off' } },
  description: { label: 'Description', kind: 'textarea', attrs: { maxlength: 10000, rows: 3 } },
  status: { label: 'Status', kind: 'select' },
  owner: { label: 'Owner', kind: 'input', attrs: { maxlength: 200, autocomplete: 'off' } },
};

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A form over some of name/description/status/owner. onSubmit(values) does the request and
 * resolves on success; a rejected ApiError 422 is shown inline field by field, anything else as
 * a form-level message, unless onError(err) returns true (it handled it, e.g. a 412).
 */
export class EntityForm {
  constructor({ fields, values = {}, submitLabel, onSubmit, onCancel, onError, title }) {
    this.fields = fields;
    this.onSubmit = onSubmit;
    this.onError = onError;
    this.inputs = {};
    this.errors = {};
    this.formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
    this.noticeBox = h('div', { class: 'form-notice', role: 'status', hidden: true });
    const rows = fields.map((name) => this.field(name, values[name]));
    this.submit = h('button', { type: 'submit', class: 'primary', text: submitLabel });
    const cancel = onCancel
      ? h('button', { type: 'button', text: 'Cancel', on: { click: () => onCancel() } })
      : null;
    this.el = h(
      'form',
      {
        class: 'entity-form',
        novalidate: true,
        'aria-label': title ?? submitLabel,
        on: {
          submit: (ev) => {
            ev.preventDefault();
            this.run();
          },
          keydown: (ev) => {
            if (ev.key === 'Escape' && onCancel) {
              ev.preventDefault();
              onCancel();
            }
          },
        },
      },
      this.noticeBox,
      this.formError,
      rows,
      h('div', { class: 'form-actions' }, this.submit, cancel),
    );
  }

  field(name, value) {
    const def = FIELD_DEFS[name];
    const id = uid(`f-${name}`);
    const errId = `${id}-error`;
    let input;
    if (def.kind === 'select') {
      input = h(
        'select',
        { id, name },
        STATUSES.map(([v, label]) => h('option', { value: v, text: label, selected: v === (value ?? 'planned') })),
      );
    } else {
      input = h(def.kind, { id, name, ...def.attrs });
      input.value = value ?? '';
    }
    this.inputs[name] = input;
    this.errors[name] = h('p', { class: 'field-error', id: errId, hidden: true });
    return h('div', { class: `field field-${name}` }, h('label', { for: id, text: def.label }), input, this.errors[name]);
  }

  values() {
    const out = {};
    for (const [name, input] of Object.entries(this.inputs)) out[name] = input.value;
    return out;
  }

  setValues(values) {
    for (const [name, input] of Object.entries(this.inputs)) input.value = values[name] ?? (name === 'status' ? 'planned' : '');
  }

  focus() {
    this.inputs[this.fields[0]]?.focus();
  }

  clearErrors() {
    this.formError.hidden = true;
    this.formError.replaceChildren();
    for (const [name, p] of Object.entries(this.errors)) {
      p.hidden = true;
      p.textContent = '';
      this.inputs[name].removeAttribute('aria-invalid');
      this.inputs[name].removeAttribute('aria-describedby');
    }
  }

  /** Shows a 422's details (field → message) beside the fields; unknown fields at the top. */
  showFieldErrors(details, message) {
    const extra = [];
    let first = null;
    for (const [name, msg] of Object.entries(details && typeof details === 'object' ? details : {})) {
      const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
      if (this.errors[name]) {
        this.errors[name].textContent = text;
        this.errors[name].hidden = false;
        this.inputs[name].setAttribute('aria-invalid', 'true');
        this.inputs[name].setAttribute('aria-describedby', this.errors[name].id);
        first ??= this.inputs[name];
      } else {
        extra.push(`${name}: ${text}`);
      }
    }
    if (extra.length || !first) this.showError(extra.length ? extra.join('; ') : message);
    first?.focus();
  }

  showError(message, ...actions) {
    this.formError.replaceChildren(h('p', { text: message }), actions.length ? h('div', { class: 'form-actions' }, actions) : null);
    this.formError.hidden = false;
  }

  /** A non-blocking note above the fields (e.g. "changed by someone else"); null clears it. */
  notice(message, ...actions) {
    if (!message) {
      this.noticeBox.hidden = true;
      this.noticeBox.replaceChildren();
      return;
    }
    this.noticeBox.replaceChildren(h('p', { text: message }), actions.length ? h('div', { class: 'form-actions' }, actions) : null);
    this.noticeBox.hidden = false;
  }

  async run(submit = this.onSubmit) {
    if (this.busy) return;
    this.clearErrors();
    this.busy = true;
    this.el.setAttribute('aria-busy', 'true');
    this.submit.disabled = true;
    try {
      await submit(this.values());
    } catch (err) {
      if (this.onError?.(err)) return;
      if (err?.status === 422) this.showFieldErrors(err.details, err.message);
      else this.showError(err?.message ?? String(err));
    } finally {
      this.busy = false;
      this.el.removeAttribute('aria-busy');
      this.submit.disabled = false;
    }
  }
}

/** A modal confirmation; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = 'Delete' }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': titleId },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId, text: title }),
        h('p', { text: message }),
        h(
          'div',
          { class: 'form-actions' },
          h('button', { value: 'cancel', text: 'Cancel', autofocus: true }),
          h('button', { value: 'confirm', class: 'danger', text: confirmLabel }),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Short messages in a polite live region; errors stay until dismissed. */
export class Notices {
  constructor(el) {
    this.el = el;
  }

  show(message, { error = false, timeoutMs = 6000 } = {}) {
    const close = h('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss', text: '×' });
    const item = h('div', { class: error ? 'notice error' : 'notice' }, h('span', { text: message }), close);
    close.addEventListener('click', () => item.remove());
    this.el.append(item);
    if (!error) setTimeout(() => item.remove(), timeoutMs);
  }
}
