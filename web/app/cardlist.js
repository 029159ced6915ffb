// A titled list of entity cards with its "New …" form and its empty/loading/error states.
// The header carries the CSV import/export controls for the list's entity.

import { h, syncList, uid } from './dom.js';
import { EntityForm } from './ui.js';
import { EntityCard, KINDS } from './card.js';
import { csvControls } from './csv_io.js';

export class CardList {
  /**
   * kind: 'projects' | 'solutions' | 'subcomponents'; title: section heading; heading: its level;
   * parent: extra fields for a create (e.g. { project_id: 3 }); card(row) → EntityCard options
   * (href, extras); emptyText.
   */
  constructor(ctx, { kind, title, heading = 'h2', parent = {}, card = () => ({}), emptyText }) {
    this.ctx = ctx;
    this.kind = kind;
    this.def = KINDS[kind];
    this.parent = parent;
    this.cardOptions = card;
    this.emptyText = emptyText;
    this.cards = new Map();
    this.items = [];

    const titleId = uid('list');
    this.count = h('span', { class: 'count' });
    this.newButton = h('button', {
      type: 'button',
      class: 'primary',
      text: `New ${this.def.noun}`,
      'aria-expanded': 'false',
      on: { click: () => this.openCreate() },
    });
    this.createBox = h('div', { class: 'create-box', hidden: true, id: uid('create') });
    this.newButton.setAttribute('aria-controls', this.createBox.id);
    this.state = h('div', { class: 'list-state', role: 'status' });
    this.list = h('ul', { class: 'cards', 'aria-labelledby': titleId });
    this.el = h(
      'section',
      { class: `list list-${kind}`, 'aria-labelledby': titleId },
      h(
        'div',
        { class: 'section-head' },
        h(heading, { id: titleId, tabindex: heading === 'h1' ? '-1' : null }, title, ' ', this.count),
        h('div', { class: 'section-actions' }, this.newButton, h('div', { class: 'io-slot', dataset: { entity: kind } }, csvControls(ctx, kind, this.def.noun))),
      ),
      this.createBox,
      this.state,
      this.list,
    );
    this.heading = this.el.querySelector(heading);
    this.setLoading();
  }

  setLoading() {
    this.el.setAttribute('aria-busy', 'true');
    this.state.replaceChildren(h('p', { class: 'muted', text: 'Loading…' }));
  }

  setError(err, retry) {
    this.el.removeAttribute('aria-busy');
    this.state.replaceChildren(
      h('p', { class: 'error-text', text: `Could not load ${this.kind}: ${err.message}` }),
      retry ? h('button', { type: 'button', text: 'Try again', on: { click: retry } }) : null,
    );
  }

  /** Shows the server's list; rows whose rev moved flash, new rows too (unless initial). */
  setItems(items, { initial = false } = {}) {
    this.el.removeAttribute('aria-busy');
    this.items = items;
    syncList(this.list, items, (r) => r.id, (row) => this.makeCard(row, !initial), this.cards);
    this.count.textContent = `(${items.length})`;
    if (items.length === 0) this.state.replaceChildren(h('p', { class: 'empty', text: this.emptyText }));
    else this.state.replaceChildren();
  }

  makeCard(row, highlight) {
    const card = new EntityCard(this.ctx, {
      kind: this.kind,
      row,
      tag: 'li',
      heading: 'h3',
      ...this.cardOptions(row),
      onDeleted: (gone) => this.setItems(this.items.filter((r) => r.id !== gone.id)),
    });
    if (highlight) card.el.classList.add('flash');
    return card;
  }

  openCreate() {
    if (this.form) return this.form.focus();
    this.form = new EntityForm({
      fields: this.def.fields,
      submitLabel: `Create ${this.def.noun}`,
      title: `New ${this.def.noun}`,
      onSubmit: (values) => this.create(values),
      onCancel: () => this.closeCreate(),
    });
    this.createBox.replaceChildren(h('h3', { text: `New ${this.def.noun}` }), this.form.el);
    this.createBox.hidden = false;
    this.newButton.setAttribute('aria-expanded', 'true');
    this.form.focus();
  }

  closeCreate() {
    this.form = null;
    this.createBox.replaceChildren();
    this.createBox.hidden = true;
    this.newButton.setAttribute('aria-expanded', 'false');
    this.newButton.focus();
  }

  async create(values) {
    const body = { ...values, ...this.parent };
    for (const k of ['description', 'owner']) if (body[k] === '') delete body[k];
    const row = await this.ctx.api.mutate('POST', `/api/${this.kind}`, body);
    if (!this.items.some((r) => r.id === row.id)) {
      const current = this.items.map((r) => this.cards.get(r.id)?.row ?? r);
      this.setItems([...current, row].sort((a, b) => a.id - b.id));
    }
    this.ctx.notices.show(`Created ${this.def.noun} “${row.name}”.`);
    this.form.setValues({});
    this.form.focus();
  }
}
