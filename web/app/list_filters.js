// A list's search box (name contains), status filter and, for entities that have an owner, owner
// filter (exact). It only reports the filter state the user chose; the list decides what to fetch.

import { h, uid } from './dom.js';
import { STATUSES } from './ui.js';
import { NO_FILTER, sameFilter } from './list_model.js';

/** Typing pauses this long before a search starts; Enter searches at once. */
export const SEARCH_DEBOUNCE_MS = 250;

/**
 * noun: 'project' …; onChange({ q, status, owner }) after each change the user makes; owner: show
 * the owner box (projects, subcomponents). The text boxes are debounced and trimmed.
 */
export function listFilters(noun, onChange, { owner: withOwner = false } = {}) {
  const searchId = uid('q');
  const statusId = uid('status');
  const ownerId = uid('owner');
  const q = h('input', { type: 'search', id: searchId, name: 'q', autocomplete: 'off', placeholder: 'Name contains…', maxlength: 200 });
  const status = h(
    'select',
    { id: statusId, name: 'status' },
    h('option', { value: '', text: 'All statuses' }),
    STATUSES.map(([v, label]) => h('option', { value: v, text: label })),
  );
  const owner = withOwner
    ? h('input', { type: 'search', id: ownerId, name: 'owner', autocomplete: 'off', placeholder: 'Exact owner…', maxlength: 200 })
    : null;
  let timer = null;
  let last = NO_FILTER;
  const changed = () => {
    clearTimeout(timer);
    timer = null;
    const now = { q: q.value.trim(), status: status.value, owner: owner ? owner.value.trim() : '' };
    if (sameFilter(now, last)) return;
    last = now;
    onChange(now);
  };
  const typed = () => {
    clearTimeout(timer);
    timer = setTimeout(changed, SEARCH_DEBOUNCE_MS);
  };
  q.addEventListener('input', typed);
  owner?.addEventListener('input', typed);
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
    owner ? h('div', { class: 'field field-owner' }, h('label', { for: ownerId, text: 'Owner' }), owner) : null,
  );
}
