// The handler's queue: the open tickets they may see, most urgent and soonest due first, kept
// live through ticketOpened and resumed after a dropped connection with the last cursor.

import { gql, subscribe } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { dueCell, priorityBadge, ROW_FIELDS, statusBadge } from "./tickets.js";

const PAGE = 25;
const MOST = 100; // the API's largest page
const QUEUE = `
  query Queue($first: Int!, $after: String) {
    tickets(first: $first, after: $after, filter: { status: [OPEN, PENDING, WAITING] },
            orderBy: { field: PRIORITY, direction: ASC }) {
      totalCount pageInfo { hasNextPage endCursor } nodes { ${ROW_FIELDS} }
    }
  }`;
const OPENED = `
  subscription Opened($after: String) {
    ticketOpened(after: $after) { cursor ticket { ${ROW_FIELDS} } }
  }`;

const state = {
  rows: [], // tickets in queue order
  fresh: new Set(), // ids that arrived live, highlighted until opened
  totalCount: 0,
  endCursor: null,
  hasNextPage: false,
  error: null,
  loaded: false,
  stop: null,
  view: null, // the element the queue is drawn into, while shown
};

/** Queue order: priority, then response deadline (none last), then number. */
function before(a, b) {
  if (a.priority !== b.priority) return a.priority < b.priority;
  const dueA = a.responseDueAt ? Date.parse(a.responseDueAt) : Infinity;
  const dueB = b.responseDueAt ? Date.parse(b.responseDueAt) : Infinity;
  if (dueA !== dueB) return dueA < dueB;
  return a.number < b.number;
}

function insert(ticket) {
  if (state.rows.some((row) => row.id === ticket.id)) return false;
  const at = state.rows.findIndex((row) => before(ticket, row));
  state.rows.splice(at === -1 ? state.rows.length : at, 0, ticket);
  return true;
}

async function loadPage(after = null, first = PAGE) {
  try {
    const { tickets } = await gql(QUEUE, { first, after });
    // Reading from the top again keeps what the feed brought: its ticket may have been
    // committed after this list was read.
    if (!after) state.rows = state.rows.filter((row) => state.fresh.has(row.id));
    for (const ticket of tickets.nodes) insert(ticket);
    state.totalCount = tickets.totalCount;
    state.endCursor = tickets.pageInfo.endCursor;
    state.hasNextPage = tickets.pageInfo.hasNextPage;
    state.error = null;
    state.loaded = true;
  } catch (error) {
    state.error = error.message;
  }
  draw();
}

/** Start following the feed, then read the first page (a ticket in both shows once). */
export function startQueue() {
  let resumable = false; // a cursor was received: reconnections replay from it
  const onEvent = ({ ticketOpened }, variables) => {
    variables.after = ticketOpened.cursor; // the next reconnection resumes after this event
    resumable = true;
    const ticket = ticketOpened.ticket;
    if (insert(ticket)) {
      state.fresh.add(ticket.id);
      state.totalCount += 1;
      draw();
      // Said to screen readers too, wherever the focus is.
      document.querySelector(".announcer").textContent =
        `${t("newBadge")}: #${ticket.number} ${ticket.subject} (${t(`priority.${ticket.priority}`)})`;
    }
  };
  const follow = (variables) => {
    const stop = subscribe(OPENED, variables, onEvent, (errors) => {
      if (!errors || state.stop !== stop) return; // completed, or stopped by the page
      if (!errors.some((error) => error.extensions?.code === "SUBSCRIBER_TOO_SLOW")) {
        // A cursor the feed refuses (too old): read the list again and follow from now.
        delete variables.after;
        resumable = false;
        loadPage();
      }
      setTimeout(() => state.stop === stop && follow(variables), 1000);
    });
    state.stop = stop;
  };
  follow({});
  loadPage();
  return {
    // Without a cursor, what opened while offline is read from the list instead.
    reconnected: () => resumable || loadPage(),
  };
}

export function stopQueue() {
  const stop = state.stop;
  state.stop = null;
  stop?.();
  Object.assign(state, { rows: [], fresh: new Set(), loaded: false, stop: null, view: null });
}

/** A ticket changed elsewhere on the page (an action, a live update): keep its row current. */
export function updateRow(ticket) {
  const index = state.rows.findIndex((row) => row.id === ticket.id);
  if (index === -1) return;
  const [old] = state.rows.splice(index, 1);
  if (["OPEN", "PENDING", "WAITING"].includes(ticket.status)) insert({ ...old, ...ticket });
  else state.totalCount -= 1;
}

/** Read again, from the top, as many tickets as are shown: what others changed meanwhile
 * (taken, answered, closed, re-prioritised) shows without folding the pages back. */
function refresh() {
  return loadPage(null, Math.min(MOST, Math.max(PAGE, state.rows.length)));
}

/** Draw the queue; coming back to it reads it again, for the changes made since. */
export function showQueue(main) {
  state.view = main;
  draw();
  if (state.loaded) refresh();
}

export function hideQueue() {
  state.view = null;
}

/** Every half minute: the rows read again (changes made by others), the time left redrawn. */
export function tick() {
  if (state.view && state.loaded) refresh();
}

function row(ticket) {
  const fresh = state.fresh.has(ticket.id);
  return h(
    "tr",
    { class: fresh ? "row is-new" : "row", "data-number": ticket.number, "data-priority": ticket.priority },
    h("td", { class: "col-number", "data-label": t("number") }, `#${ticket.number}`),
    h(
      "td",
      { class: "col-subject", "data-label": t("subject") },
      h("a", { href: `#/ticket/${ticket.number}`, onclick: () => state.fresh.delete(ticket.id) }, ticket.subject),
      fresh ? h("span", { class: "badge badge-new" }, t("newBadge")) : null,
    ),
    h("td", { "data-label": t("type") }, ticket.type ? t(`type.${ticket.type}`) : ""),
    h("td", { "data-label": t("priority") }, priorityBadge(ticket.priority)),
    h("td", { "data-label": t("team") }, ticket.team?.name ?? t("noTeam")),
    h(
      "td",
      { "data-label": t("assignee") },
      ticket.assignee ? ticket.assignee.displayName : h("span", { class: "muted" }, t("unassigned")),
    ),
    h("td", { "data-label": t("status") }, statusBadge(ticket.status)),
    h("td", { class: "col-due", "data-label": t("due") }, dueCell(ticket)),
  );
}

function draw() {
  const main = state.view;
  if (!main) return;
  const heading = h("div", { class: "page-head" }, h("h1", {}, t("queue")),
    state.loaded ? h("p", { class: "count" }, state.totalCount === 1 ? t("openTicket") : t("openTickets", { count: state.totalCount })) : null);
  const error = state.error ? h("p", { class: "notice notice-error", role: "alert" }, state.error) : null;
  if (!state.loaded) return fill(main, heading, error);
  if (state.rows.length === 0) return fill(main, heading, error, h("p", { class: "empty" }, t("noTickets")));
  const columns = ["number", "subject", "type", "priority", "team", "assignee", "status", "due"];
  const table = h(
    "table",
    { class: "queue" },
    h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col" }, t(column))))),
    h("tbody", {}, state.rows.map(row)),
  );
  const more = state.hasNextPage
    ? h("button", { type: "button", class: "button button-secondary load-more", onclick: () => loadPage(state.endCursor) }, t("loadMore"))
    : null;
  const focused = document.activeElement?.closest?.("tr")?.dataset.number;
  fill(main, heading, error, h("div", { class: "table-wrap" }, table), more);
  // Keep the keyboard where it was when a live ticket redraws the table.
  if (focused) main.querySelector(`tr[data-number="${focused}"] a`)?.focus();
}
