// Where options meet their defaults, for every part of the live client: one rule, in one place.
//
// An option given as `undefined` is an option not given. Callers forward optional settings as
// `{ throttleMs: options.throttleMs }`; a plain `{ ...DEFAULTS, ...options }` would copy that
// `undefined` over the default and quietly turn a 500 ms throttle into none (NaN > 0 is false).
//
// Every tunable with a default is checked once, when its owner is built: it must have the type of
// its default, and a number must be finite and not negative. Anything else is a programming error
// and throws there, instead of surfacing later as "no throttle" or a retry storm.

/**
 * Returns a new object: `defaults`, overridden by every key of `options` whose value is not
 * undefined (keys without a default, such as injected clocks or callbacks, are kept as given).
 * Throws an Error naming `owner` and the option if a defaulted value is of the wrong type, or a
 * number that is not finite or is negative.
 */
export function withDefaults(owner, defaults, options = {}) {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value !== undefined) out[key] = value;
  }
  for (const [key, fallback] of Object.entries(defaults)) {
    const value = out[key];
    const ok =
      typeof fallback === 'number'
        ? typeof value === 'number' && Number.isFinite(value) && value >= 0
        : typeof value === typeof fallback;
    if (!ok) {
      const want = typeof fallback === 'number' ? 'a finite number ≥ 0' : `a ${typeof fallback}`;
      throw new Error(`${owner}: option ${key} must be ${want}, not ${describe(value)}`);
    }
  }
  return out;
}

function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || value === null) return String(value);
  return `a ${typeof value}`;
}
