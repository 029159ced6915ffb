// Who last changed a row, in words: `updated_by` is the user the host authenticated for that
// change ("" when the site is open, and then the words say nobody's name). DOM-free, so node's
// test runner covers it (tests/web); callers show the words as text, never as HTML.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long before `now` (ms since the epoch) the ISO time `iso` was: "just now" under a minute
 * (and for a time slightly ahead, as a client clock behind the server's makes it), else
 * "N min ago", "N h ago", "N days ago". '' for a time that cannot be read.
 */
export function relativeTime(iso, now) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const ago = now - at;
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.floor(ago / HOUR)} h ago`;
  const days = Math.floor(ago / DAY);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/**
 * A row's "when, by whom" line: "Changed by alice at <formatTime(updated_at)>" when the row names
 * its user, else "Updated <time>" as on an open site; '' without a time.
 */
export function changedByLine(row, formatTime) {
  const when = row.updated_at ? formatTime(row.updated_at) : '';
  if (!when) return '';
  return row.updated_by ? `Changed by ${row.updated_by} at ${when}` : `Updated ${when}`;
}

/** Who made the change that `row` (the current version) shows: its user, or "Someone else". */
export function changer(row) {
  return row?.updated_by || 'Someone else';
}

/**
 * The 412 conflict sentence for `row`, the server's current version of a `noun` the user was
 * editing: "alice saved a newer version 2 min ago", or without a user the open site's wording,
 * "Someone else saved a newer version of this <noun> while you were editing".
 */
export function newerVersionBy(row, noun, now) {
  if (!row?.updated_by) return `Someone else saved a newer version of this ${noun} while you were editing`;
  const when = relativeTime(row.updated_at, now);
  return `${row.updated_by} saved a newer version${when ? ` ${when}` : ''}`;
}
