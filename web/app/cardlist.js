// A titled list of entity cards with its "New …" form, search, status and owner filters, the
// number of rows that match, and its empty/loading/error states. The header carries the CSV
// import/export controls for the list's entity.
//
// Long lists: the first page (newest first) shows at once, further pages load as the "Load more"
// button at the end scrolls into view; a refresh asks only for what changed since the revision on
// screen (`?since=`) and patches the cards in place (list_model.js does the merge). The first page
// and every delta carry the server's count of matching rows (`count=1`), which the heading shows.
// Loads, pages and refreshes of one list run one after another, so each starts from what the last
// one left.

import { h, keepInView, setText, syncList, uid } from './dom.js';
import { EntityForm } from './ui.js';
import { EntityCard, KINDS } from './card.js';
import { csvControls } from './csv_io.js';
import { listFilters } from './list_filters.js';
import { ListWindow, NO_FILTER, PAGE_SIZE, deltaUrl, firstPageUrl, isFiltered, matches, nextPageUrl } from './list_model.js';

const formatCount = new Intl.NumberFormat('en-US').format;

export class CardList {
  /**
   * kind: 'projects' | 'solutions' | 'subcomponents'; title: section heading; heading: its level;
   * parent: the parent filter, also sent with a create (e.g. { project_id: 3 }); card(row) →
   * EntityCard options (href, extras); emptyText; pageSize: rows per page.
   * The list is a data source of its view: entity, load() and refresh() resolve its revision.
   */
  constructor(ctx, { kind, title, heading = 'h2', parent = {}, card = () => ({}), emptyText, pageSize = PAGE_SIZE }) {
    this.ctx = ctx;
    this.kind = kind;
    this.entity = kind;
    this.def = KINDS[kind];
    this.parent = parent;
    this.cardOptions = card;
    this.emptyText = emptyText;
    this.pageSize = pageSize;
    this.filter = NO_FILTER;
    this.window = new ListWindow();
    this.cards = new Map();
    this.queue = Promise.resolve();

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
    this.summary = h('p', { class: 'list-summary muted', role: 'status' });
    this.moreButton = h('button', { type: 'button', class: 'more', text: 'Load more', hidden: true, on: { click: () => this.loadMore() } });
    this.el = h(
      'section',
      { class: `list list-${kind}`, 'aria-labelledby': titleId },
      h(
        'div',
        { class: 'section-head' },
        h(heading, { id: titleId, tabindex: heading === 'h1' ? '-1' : null }, title, ' ', this.count),
        h('div', { class: 'section-actions' }, this.newButton, h('div', { class: 'io-slot', dataset: { entity: kind } }, csvControls(ctx, kind, this.def.noun))),
      ),
      listFilters(this.def.noun, (f) => this.setFilter(f), { owner: this.def.fields.includes('owner') }),
      this.createBox,
      this.state,
      this.list,
      h('div', { class: 'list-foot' }, this.summary, this.moreButton),
    );
    this.heading = this.el.querySelector(heading);
    // The next page loads as the end of the list comes near; the button stays for keyboards.
    this.observer = globalThis.IntersectionObserver
      ? new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && this.loadMore(), { rootMargin: '600px 0px' })
      : null;
    this.observer?.observe(this.moreButton);
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

  /** Runs list operations one after another; a failed one does not stop the next. */
  enqueue(op) {
    const run = this.queue.then(op);
    this.queue = run.catch(() => {});
    return run;
  }

  /** The parent filter and the filter state: which rows the list asks for. */
  get scope() {
    return { ...this.parent, ...this.filter };
  }

  /** The first load of the view: the first page. Resolves the list's revision. */
  load() {
    return this.enqueue(() => this.loadFirst({ highlight: false }));
  }

  /**
   * After a refresh event: only the changes since the revision on screen, merged in place; a
   * reset (the server no longer knows that revision) reloads the first page. Resolves the revision.
   */
  refresh() {
    return this.enqueue(async () => {
      if (this.window.rev === null) return this.loadFirst({ highlight: true });
      const { body } = await this.ctx.api.get(deltaUrl(this.kind, this.scope, this.window.rev), { conditional: false });
      const op = this.window.applyDelta(body);
      if (op?.reset) return this.loadFirst({ highlight: true });
      if (op) this.patch(op);
      return this.window.rev;
    });
  }

  /** The user changed the search, status or owner filter: start again from the first page. */
  setFilter(filter) {
    this.filter = filter;
    this.setLoading();
    this.enqueue(() => this.loadFirst({ highlight: false })).catch((err) => this.setError(err, () => this.setFilter(this.filter)));
  }

  async loadFirst({ highlight }) {
    // Conditional (a 304 when unchanged) for the lists a view comes back to; not for searches
    // and owners typed, whose every spelling would stay in the API client's cache.
    const url = firstPageUrl(this.kind, this.scope, this.pageSize);
    const { body } = await this.ctx.api.get(url, { conditional: !this.filter.q && !this.filter.owner });
    this.window.reset(body);
    syncList(this.list, this.window.rows, (r) => r.id, (row) => this.makeCard(row, highlight), this.cards);
    this.rendered();
    return this.window.rev;
  }

  /** The next page, appended below. Errors stay in the summary line; the button retries. */
  loadMore() {
    if (!this.window.more || this.loadingMore) return;
    this.loadingMore = true;
    setText(this.summary, 'Loading more…');
    this.enqueue(async () => {
      if (!this.window.more) return;
      const url = nextPageUrl(this.kind, this.scope, this.pageSize, this.window.next);
      const { body } = await this.ctx.api.get(url, { conditional: false });
      for (const row of this.window.append(body)) {
        const card = this.makeCard(row, false);
        this.cards.set(row.id, card);
        this.list.append(card.el);
      }
      this.rendered();
    })
      .catch((err) => setText(this.summary, `Could not load more ${this.kind}: ${err.message}`))
      .finally(() => {
        this.loadingMore = false;
        // A fresh observation: if the end of the list is still in view, the next page follows.
        if (this.window.more && this.observer) {
          this.observer.unobserve(this.moreButton);
          this.observer.observe(this.moreButton);
        }
      });
  }

  /** Applies a merged delta to the cards: removed, updated (they flash), inserted (they flash too). */
  patch({ updated, removed, inserted }) {
    keepInView(this.list, () => {
      for (const id of removed) this.drop(id);
      for (const row of updated) this.cards.get(row.id)?.update(row);
      for (const { row, before } of inserted) this.insert(row, before, true);
      this.rendered();
    });
  }

  insert(row, before, highlight) {
    const card = this.makeCard(row, highlight);
    this.cards.set(row.id, card);
    this.list.insertBefore(card.el, before === null ? null : (this.cards.get(before)?.el ?? null));
  }

  drop(id) {
    const card = this.cards.get(id);
    if (!card) return;
    card.el.remove();
    this.cards.delete(id);
  }

  /**
   * Count, summary, empty state and the "Load more" button after any change of the rows. The
   * count is the server's total of matching rows; only from a server that sends none is it the
   * rows loaded ("100+" while more exist).
   */
  rendered() {
    this.el.removeAttribute('aria-busy');
    const n = this.window.rows.length;
    const more = this.window.more;
    const total = this.window.total;
    const filtered = isFiltered(this.filter);
    const plural = (k) => `${this.def.noun}${k === 1 ? '' : 's'}`;
    this.count.textContent = total === null ? `(${n}${more ? '+' : ''})` : `(${formatCount(total)})`;
    let summary = '';
    if (more) {
      const of = total === null ? '' : ` of ${formatCount(total)}`;
      summary = `Showing the newest ${n}${of} ${plural(total ?? n)}${filtered ? ' that match' : ''}; more load as you scroll.`;
    } else if (n > 0) summary = `${n} ${plural(n)}${filtered ? ' match' : ''}, all shown.`;
    setText(this.summary, summary);
    this.moreButton.hidden = !more;
    if (n === 0 && !more) {
      const text = filtered ? `No ${this.def.noun}s match these filters.` : this.emptyText;
      this.state.replaceChildren(h('p', { class: 'empty', text }));
    } else this.state.replaceChildren();
  }

  makeCard(row, highlight) {
    const card = new EntityCard(this.ctx, {
      kind: this.kind,
      row,
      tag: 'li',
      heading: 'h3',
      ...this.cardOptions(row),
      onSaved: (saved) => this.window.put(saved),
      onDeleted: (gone) => {
        this.window.remove(gone.id);
        this.drop(gone.id);
        this.rendered();
      },
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
    if (matches(row, this.filter)) {
      const before = this.window.put(row);
      if (before !== undefined) this.insert(row, before, false);
      this.rendered();
      this.ctx.notices.show(`Created ${this.def.noun} “${row.name}”.`);
    } else {
      this.ctx.notices.show(`Created ${this.def.noun} “${row.name}”; the current filters hide it.`);
    }
    this.form.setValues({});
    this.form.focus();
  }
}
