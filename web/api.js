// Fetching from the evidence server's JSON API.

// A failed request: `code` is the server's stable error code (docs/API.md), or 'unreachable' when
// no answer came; `status` the HTTP status (0 without an answer); the message is the server's.
export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

// GET path as JSON; failures become an ApiError (aborts pass through). What the reader is told
// is worded from the code by notices.js (errorText), not taken from the server's message.
export async function api(path, signal) {
  let res;
  try {
    res = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('no answer', 'unreachable', 0);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = body?.error;
    throw new ApiError(err?.message || `status ${res.status}`, err?.code || 'http_' + res.status, res.status);
  }
  return body;
}

// The page's main request (a search or a study): a newer render aborts it and makes its late
// answer void.
let seq = 0;
let controller = null;

// Starts a render; returns its token.
export function newRender() {
  controller?.abort();
  return ++seq;
}

export const isStale = (token) => token !== seq;

export function fetchLatest(path) {
  controller = new AbortController();
  return api(path, controller.signal);
}
