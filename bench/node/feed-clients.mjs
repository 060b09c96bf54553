// Subscribers for bench/feed.py: one process holding many graphql-transport-ws
// subscriptions, each on its own socket, with the ws package (a message costs a few
// microseconds here, against tens in a Python client: the clients share the server's cores).
//
//   node feed-clients.mjs WS_URL < commands
//
// The first line of standard input is {"tokens": [...], "query": "..."}; the process then
// prints {"subscribed": n, "problems": [...]}. After it, each line is a command:
//   {"wait": count, "seconds": s}  prints {"ready": subscribers holding count messages}
//   {"report": true}               prints {"receipts": [[ticket number, at], ...],
//                                          "unexpected": [...]} and exits
// Receipt times are CLOCK_MONOTONIC seconds, Python's time.monotonic().
import readline from "node:readline";
import WebSocket from "ws";

const CONNECTS_AT_ONCE = 50;
const url = process.argv[2];
const now = () => Number(process.hrtime.bigint()) / 1e9;

function subscribe(token, query) {
  return new Promise((resolve) => {
    const subscriber = { received: [], socket: null };
    const ws = new WebSocket(url, "graphql-transport-ws", { perMessageDeflate: false });
    subscriber.socket = ws;
    let acknowledged = false;
    const done = (problem) => resolve([subscriber, problem]);
    ws.on("open", () => {
      const payload = { Authorization: `Bearer ${token}` };
      ws.send(JSON.stringify({ type: "connection_init", payload }));
    });
    ws.on("message", (data) => {
      if (acknowledged) {
        subscriber.received.push([now(), data]); // parsed after the run
        return;
      }
      const message = JSON.parse(data);
      if (message.type !== "connection_ack") {
        done(`not acknowledged: ${data}`);
        ws.close();
        return;
      }
      acknowledged = true;
      ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
      done("");
    });
    ws.on("error", (error) => done(`${error.name}: ${error.message}`));
    ws.on("close", (code) => done(`closed: ${code}`));
  });
}

async function subscribeAll(tokens, query) {
  const results = [];
  let next = 0;
  async function connector() {
    while (next < tokens.length) {
      results.push(await subscribe(tokens[next++], query));
    }
  }
  await Promise.all(Array.from({ length: CONNECTS_AT_ONCE }, connector));
  return results;
}

function report(subscribers) {
  const receipts = [];
  const unexpected = [];
  for (const { received } of subscribers) {
    for (const [at, data] of received) {
      const message = JSON.parse(data);
      if (message.type === "next" && !message.payload.errors) {
        receipts.push([message.payload.data.ticketOpened.ticket.number, at]);
      } else {
        unexpected.push(String(data).slice(0, 300));
      }
    }
  }
  return { receipts, unexpected };
}

const print = (value) =>
  new Promise((written) => process.stdout.write(`${JSON.stringify(value)}\n`, written));
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { tokens, query } = JSON.parse((await lines.next()).value);
const results = await subscribeAll(tokens, query);
const subscribers = results.map(([subscriber]) => subscriber);
const problems = results.map(([, problem]) => problem).filter(Boolean);
await print({ subscribed: tokens.length - problems.length, problems: problems.slice(0, 3) });

for await (const line of lines) {
  const command = JSON.parse(line);
  if (command.report) {
    for (const { socket } of subscribers) socket.terminate();
    await print(report(subscribers)); // all of it: a pipe takes 64 KiB at a time
    process.exit(0);
  }
  const deadline = now() + command.seconds;
  const ready = () => subscribers.filter((s) => s.received.length >= command.wait).length;
  while (ready() < subscribers.length && now() < deadline) {
    await new Promise((wake) => setTimeout(wake, 50));
  }
  await print({ ready: ready() });
}
