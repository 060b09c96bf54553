// The public GraphQL API: queries and mutations over HTTP, subscriptions over graphql-transport-ws.

import { t } from "./i18n.js";

const TOKEN = "support-desk.token";
const listeners = { connected: [], closed: [], expired: [] };

export class ApiError extends Error {}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN, value);
    else sessionStorage.removeItem(TOKEN);
  },
  me: null,
};

/** Listen to the live connection: "connected", "closed" (the socket dropped), "expired". */
export function on(event, callback) {
  listeners[event].push(callback);
}

function emit(event, ...args) {
  for (const callback of listeners[event]) callback(...args);
}

/** The data of one operation; top-level errors become an ApiError in plain words. */
export async function gql(query, variables = {}) {
  const headers = { "content-type": "application/json" };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError(t("unreachable"));
  }
  const body = await response.json().catch(() => null);
  if (!body) throw new ApiError(t("unreachable"));
  if (body.errors?.length) {
    if (body.errors.some((error) => error.extensions?.code === "UNAUTHENTICATED")) emit("expired");
    throw new ApiError(body.errors.map((error) => error.message).join(" "));
  }
  return body.data;
}

/** The userErrors of a payload in plain words, one line each (empty when it succeeded). */
export function explain(userErrors) {
  return userErrors.map((error) => `${t(`code.${error.code}`)} ${error.message}`);
}

let client = null;

/** Capped exponential backoff with jitter: about 0.5 s, 1 s, 2 s, 4 s … then 10 s at most. */
async function backoff(retries) {
  const ms = Math.min(10000, 500 * 2 ** retries) * (0.75 + Math.random() / 2);
  await new Promise((resolve) => setTimeout(resolve, ms));
}

function liveClient() {
  if (client) return client;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  client = window.graphqlWs.createClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: () => ({ Authorization: `Bearer ${session.token}` }),
    keepAlive: 10000,
    retryAttempts: Infinity,
    retryWait: backoff,
    // Retry every dropped connection (restart, network loss), not a refused token.
    shouldRetry: (closeEvent) => closeEvent?.code !== 4403,
    on: {
      connected: (_socket, _payload, wasRetry) => emit("connected", wasRetry),
      closed: (event) => {
        if (event?.code === 4403) emit("expired");
        // 1000: graphql-ws closed an idle socket itself (no subscription left).
        else if (client && event?.code !== 1000) emit("closed");
      },
    },
  });
  return client;
}

/** Follow a subscription until unsubscribed. graphql-ws sends the same payload object again
 * on each reconnection, so onData may change payload.variables (the resume cursor) in place.
 * onEnd receives the errors that ended it (or nothing when the server completed it). */
export function subscribe(query, variables, onData, onEnd = () => {}) {
  const payload = { query, variables };
  return liveClient().subscribe(payload, {
    next: (result) => {
      if (!result.errors?.length) return onData(result.data, payload.variables);
      if (result.errors.some((error) => error.extensions?.code === "UNAUTHENTICATED")) emit("expired");
      else onEnd(result.errors);
    },
    error: (error) => onEnd(Array.isArray(error) ? error : [{ message: String(error?.reason || error) }]),
    complete: () => onEnd(),
  });
}

/** Close the socket for good (signing out). */
export function disconnect() {
  if (client) {
    const closing = client;
    client = null;
    closing.dispose();
  }
}
