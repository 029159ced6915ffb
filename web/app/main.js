// Boots the app: the API client with this tab's id, the live-sync client, and a small router
// over the History API (one URL per view; back/forward work; deep links load directly).

import { Api, newClientId } from './api.js';
import { Notices } from './ui.js';
import { ProjectsView, ProjectView, SolutionView, NotFoundView } from './views.js';
import { h } from './dom.js';
import { startLive, optionsFromQuery } from '../live/binding.js';

const APP_NAME = 'livesync';
const clientId = newClientId();
const api = new Api({ clientId });
const main = document.getElementById('main');
const notices = new Notices(document.getElementById('notices'));

const { refresher, connection } = startLive({
  clientId,
  pill: document.getElementById('live-status'),
  fetchRevisions: async () => (await api.get('/api/revisions')).body,
  options: optionsFromQuery(window.location.search),
});

const ctx = {
  api,
  notices,
  navigate,
  reload: () => render(),
  setTitle: (t) => {
    document.title = t ? `${t} · ${APP_NAME}` : APP_NAME;
  },
};

/** Maps a path to a view. Ids are positive integers; anything else is "not found". */
function route(path) {
  if (path === '/' || path === '/projects' || path === '/index.html') return new ProjectsView(ctx);
  let m = /^\/projects\/([1-9][0-9]{0,17})$/.exec(path);
  if (m) return new ProjectView(ctx, m[1]);
  m = /^\/solutions\/([1-9][0-9]{0,17})$/.exec(path);
  if (m) return new SolutionView(ctx, m[1]);
  return new NotFoundView();
}

let generation = 0;

async function render({ focus = false } = {}) {
  const gen = ++generation;
  const view = route(window.location.pathname);
  refresher.setView(null);
  main.replaceChildren(view.el);
  ctx.setTitle(view.title);
  let revs;
  try {
    revs = await view.load();
  } catch (err) {
    if (gen !== generation) return;
    if (!main.contains(view.el.querySelector('.list-state'))) {
      main.replaceChildren(
        h('div', { class: 'page-state', role: 'alert' },
          h('p', { class: 'error-text', text: `Could not load this page: ${err.message}` }),
          h('button', { type: 'button', text: 'Try again', on: { click: () => render({ focus: true }) } })),
      );
    }
    return;
  }
  if (gen !== generation) return;
  ctx.setTitle(view.title === 'Projects' ? 'Projects' : view.title);
  refresher.setView(view, revs);
  if (focus) (view.focusTarget ?? main.querySelector('h1'))?.focus({ preventScroll: false });
}

function navigate(path) {
  if (path !== window.location.pathname) history.pushState(null, '', path + window.location.search);
  window.scrollTo(0, 0);
  render({ focus: true });
}

// Same-origin links marked data-nav are handled here; modified clicks open new tabs as usual.
document.addEventListener('click', (ev) => {
  const a = ev.target.closest?.('a[data-nav]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  ev.preventDefault();
  navigate(url.pathname);
});
window.addEventListener('popstate', () => render({ focus: true }));

// Exposed for diagnosis in the browser console (and the end-to-end tests): read-only state.
window.livesync = Object.freeze({ clientId, connection, refresher });

render();
