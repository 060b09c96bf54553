// What every view shows of a ticket: its fields in GraphQL, and its badges and deadline on screen.

import { h } from "./dom.js";
import { formatDateTime, formatDuration, t } from "./i18n.js";

export const ROW_FIELDS = `
  id number subject type priority status slaStatus overdue responseDueAt firstRespondedAt
  team { id name } assignee { id displayName }
`;

export const TYPES = ["INCIDENT", "QUESTION", "FEATURE_REQUEST"];
export const PRIORITIES = ["P1", "P2", "P3", "P4"];

export function priorityBadge(priority) {
  return h("span", { class: `badge priority priority-${priority.toLowerCase()}` }, t(`priority.${priority}`));
}

export function statusBadge(status) {
  return h("span", { class: `badge status status-${status.toLowerCase()}` }, t(`status.${status}`));
}

/** Time left before the response is due, or how late it is, as of now. */
function dueState(ticket, now = Date.now()) {
  if (ticket.status === "CLOSED") return { text: t("closed"), tone: "quiet" };
  if (ticket.firstRespondedAt) return { text: t("answered"), tone: "quiet" };
  if (ticket.status === "WAITING" && !ticket.overdue) return { text: t("paused"), tone: "quiet" };
  if (!ticket.responseDueAt) return { text: "", tone: "quiet" };
  const left = new Date(ticket.responseDueAt).getTime() - now;
  if (ticket.overdue || left <= 0) return { text: t("overdueBy", { duration: formatDuration(left) }), tone: "overdue" };
  const tone = ticket.slaStatus === "AT_RISK" ? "at-risk" : "on-track";
  return { text: t("left", { duration: formatDuration(left) }), tone };
}

export function dueCell(ticket) {
  const state = dueState(ticket);
  return h(
    "span",
    { class: `due due-${state.tone}`, title: formatDateTime(ticket.responseDueAt) },
    state.tone === "overdue" ? h("span", { class: "due-icon", "aria-hidden": "true" }, "!") : null,
    state.text,
  );
}
