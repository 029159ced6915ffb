// What a long list has on screen, with no DOM in it: the rows loaded so far (newest first, i.e.
// by id descending), the revision they are current at, where the next page starts, and how many
// rows match in all (the server's `total`), and the requests that bring them. It turns
// the server's answers — a first page, a further page, a `?since=` delta — into the few row
// operations the view applies in place, so a refresh never rebuilds the list.

/** Rows per page; the server allows 1–1000. */
export const PAGE_SIZE = 100;

/** The filters a list can carry besides its parent (`project_id`, `solution_id`). */
export const FILTER_KEYS = Object.freeze(['status', 'owner', 'q']);

/**
 * A list's filter state as its controls set it: `q` (name contains), `status`, `owner` (exact);
 * '' means any. Lists of entities without an owner (solutions) keep `owner` ''.
 */
export const NO_FILTER = Object.freeze({ q: '', status: '', owner: '' });

/** Whether two filter states ask for the same rows. */
export function sameFilter(a, b) {
  return FILTER_KEYS.every((k) => (a[k] ?? '') === (b[k] ?? ''));
}

/** Whether a filter state narrows the list at all. */
export function isFiltered(filter) {
  return FILTER_KEYS.some((k) => Boolean(filter[k]));
}

/**
 * The URL of a list request: `/api/{entity}?…` with every non-empty value of `params` (parent
 * filter, filters, paging, since), in a stable order so equal requests share one ETag cache entry.
 */
export function listUrl(entity, params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') qs.append(k, String(v));
  }
  const s = qs.toString();
  return s ? `/api/${entity}?${s}` : `/api/${entity}`;
}

/**
 * The requests of a list whose `scope` is its parent filter and filter state together, e.g.
 * { project_id: 3, q: 'gear', status: '', owner: 'ann' }: the first page newest first with the
 * total, a further page below `after`, and the changes since a revision with the new total.
 */
export function firstPageUrl(entity, scope, pageSize) {
  return listUrl(entity, { ...scope, limit: pageSize, order: 'desc', count: 1 });
}

export function nextPageUrl(entity, scope, pageSize, after) {
  return listUrl(entity, { ...scope, limit: pageSize, order: 'desc', after });
}

export function deltaUrl(entity, scope, since) {
  return listUrl(entity, { ...scope, since, count: 1 });
}

/**
 * Whether `row` passes the filters as the server applies them: status and owner exact, q "name
 * contains" with ASCII letters matching either case (the server folds ASCII only, like SQLite's
 * lower()). Used only for rows this tab created itself; everything else comes filtered from the
 * server.
 */
export function matches(row, filter) {
  if (filter.status && row.status !== filter.status) return false;
  if (filter.owner && row.owner !== filter.owner) return false;
  if (filter.q && !foldAscii(String(row.name ?? '')).includes(foldAscii(filter.q))) return false;
  return true;
}

const foldAscii = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

export class ListWindow {
  constructor() {
    this.rows = []; // by id descending
    this.rev = null; // the entity revision every row on screen is current at (the next `since`)
    this.next = null; // the `after` of the next page; null: everything below is loaded
    this.total = null; // rows matching on the server at `rev` (with this tab's own changes); null: not told
  }

  /** True when rows below the loaded ones exist on the server. */
  get more() {
    return this.next !== null;
  }

  /** A first page (or the reload after a reset): replaces everything. */
  reset(page) {
    this.rows = sortDesc(page.items);
    this.rev = page.rev;
    this.next = page.next ?? null;
    this.total = totalOf(page);
  }

  /**
   * A further page (`after=next`): appends its rows below, returns those added. The window keeps
   * its revision (and the total counted at it): the page may be newer, and the next delta since
   * the older revision brings nothing it already has (rows are only ever replaced by a higher
   * `rev`) and the total at its own revision.
   */
  append(page) {
    const floor = this.rows.length ? this.rows[this.rows.length - 1].id : Infinity;
    const added = sortDesc(page.items).filter((r) => r.id < floor);
    this.rows.push(...added);
    this.next = page.next ?? null;
    return added;
  }

  /**
   * Merges a `?since=rev` answer. Returns null when it is stale (its rev is not newer than the
   * screen's: nothing to do), { reset: true } when the server says the view must reload, else
   * { updated: [row], removed: [id], inserted: [{ row, before }] }:
   * - a row on screen with a higher rev replaces it; one with the same or lower rev is ignored,
   *   so applying a delta twice changes nothing;
   * - ids in `deleted` (gone, or no longer matching the filters) leave the screen;
   * - a new row at or above the lowest loaded position is inserted at its place (above the top:
   *   at the top); one below it is left for paging to bring.
   * `inserted` is ordered bottom to top and `before` is the id of the row it goes above (null:
   *   the end), so inserting in that order always finds `before` already in place.
   * The delta's `total`, if it has one, replaces the window's: it counts every matching row at
   * the delta's revision, this tab's own creates and deletes included.
   */
  applyDelta(delta) {
    if (delta?.reset === true) return { reset: true };
    if (!Number.isSafeInteger(delta?.rev) || !Array.isArray(delta.items)) {
      throw new Error('the server sent a malformed list delta');
    }
    if (this.rev !== null && delta.rev <= this.rev) return null;
    const removed = [];
    for (const id of delta.deleted ?? []) {
      const i = this.find(id);
      if (i >= 0) {
        this.rows.splice(i, 1);
        removed.push(id);
      }
    }
    const updated = [];
    const added = [];
    for (const row of delta.items) {
      const at = this.position(row.id);
      if (this.rows[at]?.id === row.id) {
        if (row.rev > this.rows[at].rev) {
          this.rows[at] = row;
          updated.push(row);
        }
      } else if (!this.more || row.id >= this.next) {
        this.rows.splice(at, 0, row);
        added.push(row);
      }
    }
    this.rev = delta.rev;
    this.total = totalOf(delta) ?? this.total;
    const inserted = added
      .map((row) => ({ row, at: this.find(row.id) }))
      .sort((a, b) => b.at - a.at)
      .map(({ row, at }) => ({ row, before: this.rows[at + 1]?.id ?? null }));
    return { updated, removed, inserted };
  }

  /**
   * This tab's own create or save: put at its place (no revision change; a new row counts one
   * more until the next delta's total). Returns `before` as above, or undefined if it was
   * already there.
   */
  put(row) {
    const at = this.position(row.id);
    if (this.rows[at]?.id === row.id) {
      if (row.rev > this.rows[at].rev) this.rows[at] = row;
      return undefined;
    }
    this.rows.splice(at, 0, row);
    if (this.total !== null) this.total += 1;
    return this.rows[at + 1]?.id ?? null;
  }

  /** This tab's own delete (one less in the total). */
  remove(id) {
    const i = this.find(id);
    if (i < 0) return;
    this.rows.splice(i, 1);
    if (this.total !== null) this.total -= 1;
  }

  /** Index of the row with `id`, or -1. */
  find(id) {
    const at = this.position(id);
    return this.rows[at]?.id === id ? at : -1;
  }

  /** The index where `id` is or would go: the first row whose id is not above it (binary search). */
  position(id) {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid].id > id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The `total` of an answer, or null if it has none (a server before counts). */
function totalOf(answer) {
  return Number.isSafeInteger(answer.total) && answer.total >= 0 ? answer.total : null;
}

function sortDesc(items) {
  return [...items].sort((a, b) => b.id - a.id);
}
