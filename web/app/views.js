// The three pages. Each view: { el, title, entities, load() → screen revs, refresh(entities) →
// list revs }. A view declares its data sources once — the lists (CardList: first page, more on
// scroll, `?since=` deltas) and the page's subject rows (RowSource) — and load() and refresh() run
// the same sources: load() fills the page the first time, refresh() asks only the sources of the
// given entities, which update the page in place.

import { h, setText } from './dom.js';
import { EntityCard, rowUrl } from './card.js';
import { CardList } from './cardlist.js';
import { phaseToggles } from './phases.js';
import { checklist } from './checklist.js';

const projectHref = (r) => `/projects/${r.id}`;
const solutionHref = (r) => `/solutions/${r.id}`;

function breadcrumbs(...links) {
  const ol = h('ol');
  for (const [text, href] of links) {
    ol.append(h('li', {}, href ? h('a', { href, 'data-nav': '' }, text) : h('span', { 'aria-current': 'page' }, text)));
  }
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, ol);
}

/** The first-load placeholder of a page, replaced once its data is in. */
function pageState(text) {
  return h('div', { class: 'page-state', role: 'status' }, h('p', { class: 'muted', text }));
}

/**
 * One row of a page (its subject, or the subject's parent) as a data source: fetched by id with
 * its ETag, so an unchanged row costs a 304. id() is asked each time: a solution may move to
 * another project. onRow(row) sees every new version. Resolves the row's rev; a 404 rejects.
 */
class RowSource {
  constructor(ctx, entity, id, onRow) {
    this.ctx = ctx;
    this.entity = entity;
    this.id = id;
    this.onRow = onRow;
    this.row = null;
  }

  async load() {
    const { body, changed } = await this.ctx.api.get(rowUrl(this.entity, this.id()));
    if (changed || this.row?.id !== body.id) {
      this.row = body;
      this.onRow(body);
    }
    return body.rev;
  }

  refresh() {
    return this.load();
  }
}

/** Loads (or refreshes, with `entities`) the sources in parallel; resolves { entity: rev }. */
async function runSources(sources, entities = null) {
  const revs = {};
  await Promise.all(
    sources
      .filter((s) => !entities || entities.has(s.entity))
      .map(async (s) => {
        const rev = await (entities ? s.refresh() : s.load());
        if (Number.isSafeInteger(rev)) revs[s.entity] = Math.max(revs[s.entity] ?? 0, rev);
      }),
  );
  return revs;
}

export class ProjectsView {
  constructor(ctx) {
    this.ctx = ctx;
    this.entities = ['projects'];
    this.title = 'Projects';
    this.list = new CardList(ctx, {
      kind: 'projects',
      title: 'Projects',
      heading: 'h1',
      card: () => ({ href: projectHref }),
      emptyText: 'No projects yet. Create the first one with “New project”.',
    });
    this.sources = [this.list];
    this.el = h('div', { class: 'page page-projects' }, this.list.el);
    this.focusTarget = this.list.heading;
  }

  async load() {
    try {
      return await runSources(this.sources);
    } catch (err) {
      this.list.setError(err, () => this.ctx.reload());
      throw err;
    }
  }

  refresh(entities) {
    return runSources(this.sources, entities);
  }
}

/**
 * Shared by the project and solution pages: a subject card (built when its row first arrives)
 * that may disappear under us, above a list of its children.
 */
class SubjectPage {
  constructor(ctx, id, { entity, noun, className }) {
    this.ctx = ctx;
    this.id = id;
    this.noun = noun;
    this.title = noun[0].toUpperCase() + noun.slice(1);
    this.subject = new RowSource(ctx, entity, () => id, (row) => this.showSubject(row));
    this.el = h('div', { class: `page ${className}` }, pageState(`Loading ${noun}…`));
  }

  showSubject(row) {
    if (this.card) this.card.update(row);
    else this.card = this.makeCard(row);
    this.rename(row);
  }

  gone() {
    this.entities = [];
    this.el.replaceChildren(
      breadcrumbs(['Projects', '/']),
      h('h1', { tabindex: '-1', text: `This ${this.noun} no longer exists` }),
      h('p', {}, 'It was deleted, perhaps by someone else. ', h('a', { href: '/', 'data-nav': '' }, 'Back to all projects')),
    );
  }

  /** Runs `work`; a 404 of the subject turns the page into "no longer exists" and resolves {}. */
  async guard(work) {
    try {
      return await work();
    } catch (err) {
      if (err.status === 404) {
        // Any 404 here is the subject's: the other sources are its children (filters) or, on the
        // solution page, its project, whose deletion takes the solution with it.
        this.gone();
        return {};
      }
      throw err;
    }
  }
}

export class ProjectView extends SubjectPage {
  constructor(ctx, id) {
    super(ctx, id, { entity: 'projects', noun: 'project', className: 'page-project' });
    this.entities = ['projects', 'solutions'];
    this.list = new CardList(this.ctx, {
      kind: 'solutions',
      title: 'Solutions',
      parent: { project_id: Number(id) },
      card: () => ({ href: solutionHref, extras: [phaseToggles(this.ctx)] }),
      emptyText: 'No solutions in this project yet.',
    });
    this.sources = [this.subject, this.list];
  }

  makeCard(row) {
    return new EntityCard(this.ctx, {
      kind: 'projects',
      row,
      tag: 'section',
      heading: 'h1',
      onSaved: (saved) => this.rename(saved),
      onDeleted: () => this.ctx.navigate('/'),
    });
  }

  load() {
    return this.guard(async () => {
      const revs = await runSources(this.sources);
      this.crumb = h('span', { 'aria-current': 'page' });
      const crumbs = breadcrumbs(['Projects', '/'], ['', null]);
      crumbs.querySelector('li:last-child').replaceChildren(this.crumb);
      this.rename(this.card.row);
      this.el.replaceChildren(crumbs, this.card.el, this.list.el);
      this.focusTarget = this.card.el.querySelector('h1');
      return revs;
    });
  }

  rename(row) {
    this.title = row.name;
    if (!this.crumb) return;
    setText(this.crumb, row.name);
    this.ctx.setTitle(row.name);
  }

  refresh(entities) {
    return this.guard(() => runSources(this.sources, entities));
  }
}

export class SolutionView extends SubjectPage {
  constructor(ctx, id) {
    super(ctx, id, { entity: 'solutions', noun: 'solution', className: 'page-solution' });
    this.entities = ['projects', 'solutions', 'subcomponents'];
    this.project = new RowSource(ctx, 'projects', () => this.card.row.project_id, () => this.rename(this.card.row));
    this.list = new CardList(this.ctx, {
      kind: 'subcomponents',
      title: 'Subcomponents',
      parent: { solution_id: Number(id) },
      card: () => ({ extras: [checklist(this.ctx)] }),
      emptyText: 'No subcomponents in this solution yet.',
    });
    this.sources = [this.subject, this.list];
  }

  makeCard(row) {
    return new EntityCard(this.ctx, {
      kind: 'solutions',
      row,
      tag: 'section',
      heading: 'h1',
      extras: [phaseToggles(this.ctx)],
      onSaved: (saved) => this.rename(saved),
      onDeleted: (gone) => this.ctx.navigate(`/projects/${gone.project_id}`),
    });
  }

  load() {
    return this.guard(async () => {
      // The project's id comes with the solution: it loads second.
      const revs = { ...(await runSources(this.sources)), ...(await runSources([this.project])) };
      this.projectLink = h('a', { 'data-nav': '' });
      this.crumb = h('span', { 'aria-current': 'page' });
      const crumbs = breadcrumbs(['Projects', '/'], ['', null], ['', null]);
      const lis = crumbs.querySelectorAll('li');
      lis[1].replaceChildren(this.projectLink);
      lis[2].replaceChildren(this.crumb);
      this.rename(this.card.row);
      this.el.replaceChildren(crumbs, this.card.el, this.list.el);
      this.focusTarget = this.card.el.querySelector('h1');
      return revs;
    });
  }

  rename(row) {
    this.title = row.name;
    if (!this.crumb) return;
    setText(this.crumb, row.name);
    setText(this.projectLink, this.project.row?.name ?? '');
    this.projectLink.setAttribute('href', `/projects/${row.project_id}`);
    this.ctx.setTitle(row.name);
  }

  refresh(entities) {
    return this.guard(async () => {
      const revs = await runSources(this.sources, entities);
      // The project is only a name in the breadcrumbs; it is asked again when it may have
      // changed, or when the solution moved to another project.
      if (entities.has('projects') || this.project.row?.id !== this.card.row.project_id) {
        await this.project.refresh().catch((err) => {
          if (err.status !== 404) throw err; // a deleted project takes the solution with it
        });
      }
      return revs;
    });
  }
}

export class NotFoundView {
  constructor() {
    this.entities = [];
    this.title = 'Not found';
    this.el = h(
      'div',
      { class: 'page' },
      h('h1', { tabindex: '-1', text: 'Page not found' }),
      h('p', {}, 'There is nothing at this address. ', h('a', { href: '/', 'data-nav': '' }, 'Go to all projects')),
    );
    this.focusTarget = this.el.querySelector('h1');
  }

  async load() {
    return {};
  }

  async refresh() {
    return {};
  }
}
