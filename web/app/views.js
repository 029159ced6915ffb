// The three pages. Each view: { el, title, entities, load() → screen revs, refresh(entities) →
// list revs }. load() fills the page the first time; refresh() re-fetches only what the given
// entities concern (conditional GETs, so unchanged data costs a 304) and updates it in place.

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
    this.el = h('div', { class: 'page page-projects' }, this.list.el);
    this.focusTarget = this.list.heading;
  }

  async load() {
    try {
      const { body } = await this.ctx.api.get('/api/projects');
      this.list.setItems(body.items, { initial: true });
      return { projects: body.rev };
    } catch (err) {
      this.list.setError(err, () => this.ctx.reload());
      throw err;
    }
  }

  async refresh() {
    const { body, changed } = await this.ctx.api.get('/api/projects');
    if (changed) this.list.setItems(body.items);
    return { projects: body.rev };
  }
}

/** Shared by the project and solution pages: a subject card that may disappear under us. */
class SubjectPage {
  gone(noun, backText, backHref) {
    this.entities = [];
    this.el.replaceChildren(
      breadcrumbs(['Projects', '/']),
      h('h1', { tabindex: '-1', text: `This ${noun} no longer exists` }),
      h('p', {}, 'It was deleted, perhaps by someone else. ', h('a', { href: backHref, 'data-nav': '' }, backText)),
    );
  }

  /** Re-fetches one row; returns it, or null if it was deleted (the page says so). */
  async refetchRow(kind, id, card, noun, backText, backHref) {
    try {
      const { body, changed } = await this.ctx.api.get(rowUrl(kind, id));
      if (changed) card.update(body);
      return body;
    } catch (err) {
      if (err.status === 404) {
        this.gone(noun, backText, backHref);
        return null;
      }
      throw err;
    }
  }
}

export class ProjectView extends SubjectPage {
  constructor(ctx, id) {
    super();
    this.ctx = ctx;
    this.id = id;
    this.entities = ['projects', 'solutions'];
    this.title = 'Project';
    this.el = h('div', { class: 'page page-project' }, pageState('Loading project…'));
  }

  async load() {
    let project;
    let solutions;
    try {
      [project, solutions] = await Promise.all([
        this.ctx.api.get(rowUrl('projects', this.id)).then((r) => r.body),
        this.ctx.api.get(`/api/solutions?project_id=${encodeURIComponent(this.id)}`).then((r) => r.body),
      ]);
    } catch (err) {
      if (err.status === 404) {
        this.gone('project', 'Back to all projects', '/');
        return {};
      }
      throw err;
    }
    this.title = project.name;
    this.crumb = h('span', { 'aria-current': 'page' });
    const crumbs = breadcrumbs(['Projects', '/'], ['', null]);
    crumbs.querySelector('li:last-child').replaceChildren(this.crumb);
    this.card = new EntityCard(this.ctx, {
      kind: 'projects',
      row: project,
      tag: 'section',
      heading: 'h1',
      onSaved: (row) => this.rename(row),
      onDeleted: () => this.ctx.navigate('/'),
    });
    this.list = new CardList(this.ctx, {
      kind: 'solutions',
      title: 'Solutions',
      parent: { project_id: project.id },
      card: () => ({ href: solutionHref, extras: [phaseToggles(this.ctx)] }),
      emptyText: 'No solutions in this project yet.',
    });
    this.list.setItems(solutions.items, { initial: true });
    this.rename(project);
    this.el.replaceChildren(crumbs, this.card.el, this.list.el);
    this.focusTarget = this.card.el.querySelector('h1');
    return { projects: project.rev, solutions: solutions.rev };
  }

  rename(row) {
    this.title = row.name;
    setText(this.crumb, row.name);
    this.ctx.setTitle(row.name);
  }

  async refresh(entities) {
    const revs = {};
    const jobs = [];
    if (entities.has('projects')) {
      jobs.push(
        this.refetchRow('projects', this.id, this.card, 'project', 'Back to all projects', '/').then((row) => {
          if (row) this.rename(row);
        }),
      );
    }
    if (entities.has('solutions')) {
      jobs.push(
        this.ctx.api.get(`/api/solutions?project_id=${encodeURIComponent(this.id)}`).then(({ body, changed }) => {
          if (changed && this.list) this.list.setItems(body.items);
          revs.solutions = body.rev;
        }),
      );
    }
    await Promise.all(jobs);
    return revs;
  }
}

export class SolutionView extends SubjectPage {
  constructor(ctx, id) {
    super();
    this.ctx = ctx;
    this.id = id;
    this.entities = ['projects', 'solutions', 'subcomponents'];
    this.title = 'Solution';
    this.el = h('div', { class: 'page page-solution' }, pageState('Loading solution…'));
  }

  async load() {
    let solution;
    let project;
    let subs;
    try {
      solution = (await this.ctx.api.get(rowUrl('solutions', this.id))).body;
      [project, subs] = await Promise.all([
        this.ctx.api.get(rowUrl('projects', solution.project_id)).then((r) => r.body),
        this.ctx.api.get(`/api/subcomponents?solution_id=${encodeURIComponent(this.id)}`).then((r) => r.body),
      ]);
    } catch (err) {
      if (err.status === 404) {
        this.gone('solution', 'Back to all projects', '/');
        return {};
      }
      throw err;
    }
    this.projectLink = h('a', { 'data-nav': '' });
    this.crumb = h('span', { 'aria-current': 'page' });
    const crumbs = breadcrumbs(['Projects', '/'], ['', null], ['', null]);
    const lis = crumbs.querySelectorAll('li');
    lis[1].replaceChildren(this.projectLink);
    lis[2].replaceChildren(this.crumb);
    this.project = project;
    this.card = new EntityCard(this.ctx, {
      kind: 'solutions',
      row: solution,
      tag: 'section',
      heading: 'h1',
      extras: [phaseToggles(this.ctx)],
      onSaved: (row) => this.rename(row),
      onDeleted: (row) => this.ctx.navigate(`/projects/${row.project_id}`),
    });
    this.list = new CardList(this.ctx, {
      kind: 'subcomponents',
      title: 'Subcomponents',
      parent: { solution_id: solution.id },
      card: () => ({ extras: [checklist(this.ctx)] }),
      emptyText: 'No subcomponents in this solution yet.',
    });
    this.list.setItems(subs.items, { initial: true });
    this.rename(solution);
    this.el.replaceChildren(crumbs, this.card.el, this.list.el);
    this.focusTarget = this.card.el.querySelector('h1');
    return { projects: project.rev, solutions: solution.rev, subcomponents: subs.rev };
  }

  rename(row) {
    setText(this.crumb, row.name);
    setText(this.projectLink, this.project.name);
    this.projectLink.setAttribute('href', `/projects/${row.project_id}`);
    this.ctx.setTitle(row.name);
  }

  async refresh(entities) {
    const revs = {};
    if (entities.has('solutions')) {
      const row = await this.refetchRow('solutions', this.id, this.card, 'solution', 'Back to all projects', '/');
      if (!row) return revs;
      if (row.project_id !== this.project.id) entities = new Set([...entities, 'projects']);
      this.rename(row);
    }
    const jobs = [];
    if (entities.has('projects')) {
      jobs.push(
        this.ctx.api.get(rowUrl('projects', this.card.row.project_id)).then(
          ({ body }) => {
            this.project = body;
            this.rename(this.card.row);
          },
          (err) => {
            if (err.status !== 404) throw err; // a deleted project takes the solution with it
          },
        ),
      );
    }
    if (entities.has('subcomponents')) {
      jobs.push(
        this.ctx.api.get(`/api/subcomponents?solution_id=${encodeURIComponent(this.id)}`).then(({ body, changed }) => {
          if (changed) this.list.setItems(body.items);
          revs.subcomponents = body.rev;
        }),
      );
    }
    await Promise.all(jobs);
    return revs;
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
