// Fetching from the evidence server's JSON API.
import { cap } from './format.js';

class ApiError extends Error {}

// GET path as JSON; failures become an ApiError with a message for the reader (aborts pass through).
export async function api(path, signal) {
  let res;
  try {
    res = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('The evidence server could not be reached. Check your connection and try again.');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const message = body?.error?.message;
    throw new ApiError(message ? cap(message) + '.' : `The server answered with status ${res.status}.`);
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
