// One entity on screen (a row in a list, or the subject of a page): shows it, edits it in place,
// deletes it after confirmation, and takes refreshes without disturbing an open edit form.

import { h, setText, flash } from './dom.js';
import { EntityForm, confirmDialog, statusLabel, formatTime } from './ui.js';
import { changedByLine, changer, newerVersionBy } from './changed_by.js';

export const KINDS = Object.freeze({
  projects: { noun: 'project', fields: ['name', 'description', 'status', 'owner'], children: 'solutions' },
  solutions: { noun: 'solution', fields: ['name', 'description', 'status'], children: 'subcomponents' },
  subcomponents: { noun: 'subcomponent', fields: ['name', 'description', 'status', 'owner'], children: null },
});

export function rowUrl(kind, id) {
  return `/api/${kind}/${encodeURIComponent(id)}`;
}

export class EntityCard {
  /**
   * ctx: { api, notices }. opts: kind, row, tag ('li' | 'section'), heading ('h1'…'h3'),
   * href (title links there, or null), extras: [(card) → { el, update(row) }],
   * onSaved(row), onDeleted(row).
   */
  constructor(ctx, { kind, row, tag = 'li', heading = 'h3', href = null, extras = [], onSaved, onDeleted }) {
    this.ctx = ctx;
    this.kind = kind;
    this.def = KINDS[kind];
    this.row = row;
    this.href = href;
    this.onSaved = onSaved ?? (() => {});
    this.onDeleted = onDeleted ?? (() => {});
    this.form = null;

    this.title = href ? h('a', { href: href(row), 'data-nav': '' }) : h('span');
    this.badge = h('span', { class: 'badge' });
    this.editButton = h('button', { type: 'button', class: 'small', text: 'Edit', on: { click: () => this.edit() } });
    this.deleteButton = h('button', { type: 'button', class: 'small danger-outline', text: 'Delete', on: { click: () => this.remove() } });
    this.meta = h('p', { class: 'card-meta' });
    this.desc = h('p', { class: 'card-desc' });
    this.view = h(
      'div',
      { class: 'card-view' },
      h(
        'div',
        { class: 'card-head' },
        h(heading, { class: 'card-title', tabindex: heading === 'h1' ? '-1' : null }, this.title),
        this.badge,
        h('div', { class: 'card-actions' }, this.editButton, this.deleteButton),
      ),
      this.meta,
      this.desc,
    );
    this.editBox = h('div', { class: 'card-edit', hidden: true });
    this.extras = extras.map((make) => make(this));
    this.el = h(tag, { class: `card card-${kind}` }, this.view, this.editBox, this.extras.map((x) => x.el));
    this.render();
  }

  get label() {
    return `${this.def.noun} “${this.row.name}”`;
  }

  render() {
    const r = this.row;
    this.el.dataset.id = r.id;
    this.el.dataset.rev = r.rev;
    setText(this.title, r.name);
    if (this.href) this.title.setAttribute('href', this.href(r));
    setText(this.badge, statusLabel(r.status));
    this.badge.dataset.status = r.status;
    const meta = [];
    if (r.owner) meta.push(`Owner: ${r.owner}`);
    const changed = changedByLine(r, formatTime);
    if (changed) meta.push(changed);
    setText(this.meta, meta.join(' · '));
    setText(this.desc, r.description ?? '');
    this.desc.hidden = !r.description;
    this.editButton.setAttribute('aria-label', `Edit ${this.label}`);
    this.deleteButton.setAttribute('aria-label', `Delete ${this.label}`);
    for (const x of this.extras) x.update(r);
  }

  /** A newer version of the row. own: it is the answer to our own save (no highlight). */
  update(row, { own = false } = {}) {
    // Revisions only grow: an older copy (a list fetched before our own save) changes nothing.
    if (!own && row.rev <= this.row.rev) return;
    const changed = row.rev !== this.row.rev;
    this.row = row;
    this.render();
    if (this.form && this.form.baseRev !== row.rev && !own) {
      this.form.notice(
        `${changer(row)} changed this ${this.def.noun} while you were editing. Saving will ask before overwriting their version.`,
        h('button', { type: 'button', text: 'Load their version', on: { click: () => this.closeForm(true) } }),
      );
    }
    if (changed && !own) flash(this.el);
  }

  edit() {
    if (this.form) return this.form.focus();
    const values = {};
    for (const f of this.def.fields) values[f] = this.row[f];
    const form = new EntityForm({
      fields: this.def.fields,
      values,
      submitLabel: 'Save',
      title: `Edit ${this.label}`,
      onSubmit: (v) => this.save(v, form.baseRev),
      onCancel: () => this.closeForm(true),
      onError: (err) => this.conflict(err, form),
    });
    form.baseRev = this.row.rev;
    this.form = form;
    this.editBox.replaceChildren(form.el);
    this.editBox.hidden = false;
    this.view.hidden = true;
    form.focus();
  }

  closeForm(refocus) {
    if (!this.form) return;
    this.form = null;
    this.editBox.replaceChildren();
    this.editBox.hidden = true;
    this.view.hidden = false;
    if (refocus) this.editButton.focus();
  }

  async save(values, rev) {
    const changes = {};
    for (const [k, v] of Object.entries(values)) if (v !== (this.row[k] ?? '')) changes[k] = v;
    if (Object.keys(changes).length === 0) return this.closeForm(true);
    const row = await this.ctx.api.mutate('PATCH', rowUrl(this.kind, this.row.id), changes, rev);
    this.closeForm(true);
    this.update(row, { own: true });
    this.onSaved(row);
  }

  /** 412 while saving: show both choices; 404: it is gone. Returns true if handled. */
  conflict(err, form) {
    if (err?.status === 404) {
      form.showError(`This ${this.def.noun} was deleted by someone else.`);
      return true;
    }
    if (err?.status !== 412) return false;
    const current = err.details?.current;
    if (current) {
      this.row = current;
      this.render();
    }
    form.showError(
      `${newerVersionBy(this.row, this.def.noun, Date.now())}. Your changes are still in the form.`,
      h('button', { type: 'button', text: 'Discard mine, load theirs', on: { click: () => this.closeForm(true) } }),
      h('button', {
        type: 'button',
        class: 'danger',
        text: 'Overwrite with mine',
        on: {
          click: () => {
            form.baseRev = this.row.rev;
            form.run();
          },
        },
      }),
    );
    return true;
  }

  async remove() {
    const children = this.def.children ? ` and all its ${this.def.children}` : '';
    const ok = await confirmDialog({
      title: `Delete ${this.def.noun}?`,
      message: `Delete ${this.label}${children}? This cannot be undone.`,
    });
    if (!ok) return this.deleteButton.focus();
    await this.destroyRemote(this.row.rev);
  }

  async destroyRemote(rev) {
    try {
      await this.ctx.api.mutate('DELETE', rowUrl(this.kind, this.row.id), undefined, rev);
    } catch (err) {
      if (err.status === 404) return this.onDeleted(this.row);
      if (err.status === 412 && err.details?.current) {
        this.update(err.details.current);
        const again = await confirmDialog({
          title: `${this.def.noun[0].toUpperCase()}${this.def.noun.slice(1)} changed`,
          message: `${changer(this.row)} changed ${this.label} since you looked at it. Delete it anyway?`,
          confirmLabel: 'Delete anyway',
        });
        if (again) return this.destroyRemote(this.row.rev);
        return this.deleteButton.focus();
      }
      this.ctx.notices.show(`Could not delete ${this.label}: ${err.message}`, { error: true });
      return;
    }
    this.ctx.notices.show(`Deleted ${this.label}.`);
    this.onDeleted(this.row);
  }
}
