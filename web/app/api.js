// The HTTP API client: JSON in and out, the tab's X-Client-Id on every request, conditional GETs
// (If-None-Match against the ETag last seen for that URL) and If-Match with a row's rev on every
// PATCH/PUT/DELETE. Failures are ApiError values carrying the server's {code, message, details}.

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function newClientId() {
  const rnd = globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return `tab-${rnd}`;
}

export class Api {
  constructor({ clientId, fetchImpl = (...a) => globalThis.fetch(...a) }) {
    this.clientId = clientId;
    this.fetch = fetchImpl;
    this.cache = new Map(); // url → { etag, body } of the last 200
  }

  /**
   * GET with If-None-Match. Resolves { body, changed } — changed is false when the server said
   * 304 and the cached body is returned. conditional: false for URLs asked once (a `since=` delta,
   * a further page), which would only fill the cache.
   */
  async get(url, { conditional = true } = {}) {
    const headers = { Accept: 'application/json', 'X-Client-Id': this.clientId };
    if (!conditional) return { body: await this.read(await this.send(url, { method: 'GET', headers })), changed: true };
    const cached = this.cache.get(url);
    if (cached) headers['If-None-Match'] = cached.etag;
    const res = await this.send(url, { method: 'GET', headers });
    if (res.status === 304 && cached) return { body: cached.body, changed: false };
    const body = await this.read(res);
    const etag = res.headers.get('ETag');
    if (etag) this.cache.set(url, { etag, body });
    else this.cache.delete(url);
    return { body, changed: true };
  }

  /** POST/PATCH/PUT/DELETE with a JSON body; rev (if given) becomes If-Match. Resolves the body (null for 204). */
  async mutate(method, url, body, rev) {
    const headers = { Accept: 'application/json', 'X-Client-Id': this.clientId };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (rev !== undefined && rev !== null) headers['If-Match'] = `"${rev}"`;
    const res = await this.send(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.status === 204 ? null : this.read(res);
  }

  async send(url, init) {
    let res;
    try {
      res = await this.fetch(url, { ...init, cache: 'no-store', credentials: 'same-origin' });
    } catch {
      throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
    }
    if (res.status >= 400) throw await this.error(res);
    return res;
  }

  async read(res) {
    try {
      return await res.json();
    } catch {
      throw new ApiError(res.status, 'bad_response', 'The server sent an answer that could not be read.');
    }
  }

  async error(res) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      // not JSON: fall through to a generic message
    }
    const e = body?.error;
    if (e && typeof e === 'object') {
      return new ApiError(res.status, String(e.code ?? 'error'), String(e.message ?? `HTTP ${res.status}`), e.details ?? null);
    }
    return new ApiError(res.status, 'http', `The server answered ${res.status}.`);
  }
}
