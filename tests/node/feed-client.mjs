// Follow the live ticket feed with the npm graphql-ws client, as a JavaScript app would.
//
//   node feed-client.mjs --url ws://127.0.0.1:8000/graphql --token <token> \
//       [--after <cursor>] [--count N] [--timeout SECONDS]
//
// Each option may come from the environment instead: FEED_URL, FEED_TOKEN, FEED_AFTER,
// FEED_COUNT, FEED_TIMEOUT. Prints each event as one JSON line on stdout,
// {"cursor": ..., "ticket": {...}}, and exits:
//   0 after --count events (then it disconnects, as a closed browser tab would),
//   1 when the server refuses the connection or answers with errors (JSON on stderr),
//   2 on bad usage,
//   3 when --timeout seconds pass before --count events arrived.
import { parseArgs } from "node:util";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const OPENED = `
subscription Opened($after: String) {
  ticketOpened(after: $after) { cursor ticket { id number subject priority } }
}`;

function fail(code, problem) {
  process.stderr.write(`${JSON.stringify(problem)}\n`);
  process.exit(code);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      url: { type: "string", default: process.env.FEED_URL },
      token: { type: "string", default: process.env.FEED_TOKEN },
      after: { type: "string", default: process.env.FEED_AFTER },
      count: { type: "string", default: process.env.FEED_COUNT ?? "1" },
      timeout: { type: "string", default: process.env.FEED_TIMEOUT ?? "10" },
    },
  }));
} catch (error) {
  fail(2, { usage: error.message });
}
const count = Number(options.count);
const timeout = Number(options.timeout);
if (!options.url || !options.token || !(count > 0) || !(timeout > 0)) {
  fail(2, { usage: "--url and --token are required; --count and --timeout must be > 0" });
}

const client = createClient({
  url: options.url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${options.token}` },
  // A test wants to see a refusal, not have it hidden by reconnection attempts.
  retryAttempts: 0,
  lazy: true,
});

const timer = setTimeout(() => {
  client.dispose();
  fail(3, { timeout: `fewer than ${count} events within ${timeout} s` });
}, timeout * 1000);

let received = 0;
try {
  const events = client.iterate({
    query: OPENED,
    variables: options.after ? { after: options.after } : {},
  });
  for await (const result of events) {
    if (result.errors) {
      fail(1, { errors: result.errors });
    }
    process.stdout.write(`${JSON.stringify(result.data.ticketOpened)}\n`);
    received += 1;
    if (received >= count) {
      break; // completes the subscription on the server
    }
  }
} catch (error) {
  // graphql-ws rejects with the server's error list, or with the socket's CloseEvent.
  const problem = Array.isArray(error)
    ? { errors: error }
    : error && typeof error.code === "number"
      ? { closeCode: error.code, reason: error.reason }
      : { error: String(error?.message ?? error) };
  clearTimeout(timer);
  await client.dispose();
  fail(1, problem);
}
clearTimeout(timer);
await client.dispose();
if (received < count) {
  fail(1, { error: `the server ended the feed after ${received} of ${count} events` });
}
