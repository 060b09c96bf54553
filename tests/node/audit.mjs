// Run the GraphQL-over-HTTP server audits of the graphql-http package against a URL.
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one JSON line per audit: {"id", "name", "status": "ok"|"notice"|"warn"|"error",
// "reason", "httpStatus", "body"}. A failing MUST is an "error", a failing SHOULD a "warn"
// and a failing MAY a "notice". Exits 0 when every audit ran (whatever they found), 2 on
// bad usage, 1 when an audit could not run at all (e.g. the server is unreachable).
//
// serverAudits lives in graphql-http/lib/audits, but the package's "exports" map does
// not expose that path: its root module re-exports it.
import { serverAudits } from "graphql-http";

const url = process.argv[2] ?? process.env.GRAPHQL_URL;
if (!url) {
  console.error("usage: node audit.mjs <graphql url>");
  process.exit(2);
}

for (const audit of serverAudits({ url })) {
  // One at a time: the reports stay in the audits' order and the server is not flooded.
  const result = await audit.fn();
  const line = { id: result.id, name: result.name, status: result.status, reason: null };
  if (result.status !== "ok") {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    // The body says why; the response may have been read by the audit already.
    line.body = await result.response.text().catch(() => null);
  }
  console.log(JSON.stringify(line));
}
