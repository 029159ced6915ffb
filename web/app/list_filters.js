// A list's search box (name contains, debounced) and status filter. It only reports the filter
// the user chose; the list decides what to fetch.

import { h, uid } from './dom.js';
import { STATUSES } from './ui.js';

/** Typing pauses this long before a search starts; Enter searches at once. */
export const SEARCH_DEBOUNCE_MS = 250;

/** noun: 'project' …; onChange({ q, status }) after each change the user makes. */
export function listFilters(noun, onChange) {
  const searchId = uid('q');
  const statusId = uid('status');
  const q = h('input', { type: 'search', id: searchId, name: 'q', autocomplete: 'off', placeholder: 'Name contains…', maxlength: 200 });
  const status = h(
    'select',
    { id: statusId, name: 'status' },
    h('option', { value: '', text: 'All statuses' }),
    STATUSES.map(([v, label]) => h('option', { value: v, text: label })),
  );
  let timer = null;
  let last = { q: '', status: '' };
  const changed = () => {
    clearTimeout(timer);
    timer = null;
    const now = { q: q.value.trim(), status: status.value };
    if (now.q === last.q && now.status === last.status) return;
    last = now;
    onChange(now);
  };
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(changed, SEARCH_DEBOUNCE_MS);
  });
  status.addEventListener('change', changed);
  return h(
    'form',
    {
      class: 'list-filters',
      role: 'search',
      'aria-label': `Find ${noun}s`,
      on: {
        submit: (ev) => {
          ev.preventDefault();
          changed();
        },
      },
    },
    h('div', { class: 'field field-q' }, h('label', { for: searchId, text: 'Search' }), q),
    h('div', { class: 'field field-status' }, h('label', { for: statusId, text: 'Status' }), status),
  );
}
