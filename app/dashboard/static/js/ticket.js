// One ticket: what it says, its conversation and history, and the actions the viewer may take,
// kept live through ticketUpdated.

import { explain, gql, session, subscribe } from "./api.js";
import { fill, h, select } from "./dom.js";
import { formatDateTime, t } from "./i18n.js";
import { updateRow } from "./queue.js";
import { dueCell, PRIORITIES, priorityBadge, statusBadge, TYPES } from "./tickets.js";

const FULL = `
  id number subject description reference type priority status slaStatus overdue
  responseDueAt firstRespondedAt submittedAt updatedAt resolution waitingSince
  team { id name } assignee { id displayName } author { id displayName }
  messages(first: 100) { nodes { id kind internal body createdAt author { id displayName } } }
  history(first: 100) { nodes { id at kind field from to reason actor { id displayName } } }
`;
const TICKET = `query Ticket($number: Int!) { ticket(number: $number) { ${FULL} } }`;
const UPDATED = `subscription Updated($id: ID!) { ticketUpdated(id: $id) { ${FULL} } }`;
const MUTATIONS = {
  take: ["takeTicket", "TakeTicketInput"],
  message: ["postMessage", "PostMessageInput"],
  wait: ["awaitTicket", "AwaitTicketInput"],
  resume: ["resumeTicket", "ResumeTicketInput"],
  close: ["closeTicket", "CloseTicketInput"],
  reopen: ["reopenTicket", "ReopenTicketInput"],
  adjust: ["adjustTicket", "AdjustTicketInput"],
};

function mutation(action) {
  const [name, inputType] = MUTATIONS[action];
  return [
    name,
    `mutation Act($input: ${inputType}!) {
       ${name}(input: $input) { ticket { ${FULL} } userErrors { field message code } } }`,
  ];
}

/** A value of the history in words: statuses, types and priorities are translated. */
function value(fieldName, raw) {
  if (raw === null || raw === undefined || raw === "") return "—";
  const key = { status: "status", type: "type", priority: "priority" }[fieldName];
  return key ? t(`${key}.${raw.toUpperCase()}`) : raw;
}

/** Draw ticket number into main; returns what the page calls when it leaves or reconnects. */
export function showTicket(main, number, back) {
  const me = session.me;
  let ticket = null;
  let stop = null;
  const parts = {
    head: h("div", { class: "ticket-head" }),
    description: h("section", { class: "card", "aria-labelledby": "description-title" }),
    conversation: h("ol", { class: "messages" }),
    details: h("dl", { class: "details" }),
    history: h("ol", { class: "history" }),
    live: h("p", { class: "notice", role: "status", hidden: true }),
  };
  const forms = {};

  const isStaff = () =>
    me.role === "ADMIN" || (me.role === "HANDLER" && me.teams.some((team) => team.id === ticket.team?.id));

  /** Run an action; its userErrors, or a failure, show in plain words inside its form. */
  async function act(action, input, form) {
    const alert = form.querySelector(".form-errors");
    const [name, document] = mutation(action);
    fill(alert);
    alert.hidden = true;
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((button) => (button.disabled = true));
    try {
      const payload = (await gql(document, { input: { id: ticket.id, ...input } }))[name];
      if (payload.userErrors.length) {
        fill(alert, explain(payload.userErrors).map((line) => h("p", {}, line)));
        alert.hidden = false;
        return false;
      }
      render(payload.ticket);
      return true;
    } catch (error) {
      fill(alert, h("p", {}, t("failed", { message: error.message })));
      alert.hidden = false;
      return false;
    } finally {
      buttons.forEach((button) => (button.disabled = false));
    }
  }

  function actionForm(key, title, controls, buttons) {
    const form = h(
      "form",
      { class: `action action-${key}`, "aria-label": title, novalidate: true },
      controls,
      h("div", { class: "form-errors", role: "alert", hidden: true }),
      h("div", { class: "buttons" }, buttons),
    );
    forms[key] = form;
    return form;
  }

  const replyText = h("textarea", { name: "body", rows: 4, id: "reply-body" });
  const replyForm = actionForm(
    "reply",
    t("reply"),
    [h("label", { for: "reply-body" }, t("reply")), replyText],
    [
      h("button", { type: "submit", class: "button", value: "public" }, t("answer")),
      h("button", { type: "submit", class: "button button-note", value: "note", "data-staff": true }, t("note")),
    ],
  );
  replyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const internal = event.submitter?.value === "note";
    if (!replyText.value.trim()) {
      const alert = replyForm.querySelector(".form-errors");
      fill(alert, h("p", {}, t("emptyMessage")));
      alert.hidden = false;
      return replyText.focus();
    }
    const body = replyText.value;
    // Cleared only if untouched meanwhile: what was typed after sending is kept.
    if ((await act("message", { body, internal }, replyForm)) && replyText.value === body) replyText.value = "";
  });

  const simple = (key, label) => {
    const form = actionForm(key, label, [], [h("button", { type: "submit", class: "button button-secondary" }, label)]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(key, {}, form);
    });
    return form;
  };
  const withText = (key, label, fieldName, fieldLabel, multiline) => {
    const control = multiline
      ? h("textarea", { name: fieldName, rows: 3, id: `${key}-${fieldName}` })
      : h("input", { name: fieldName, id: `${key}-${fieldName}`, autocomplete: "off" });
    const form = actionForm(
      key,
      label,
      [h("label", { for: control.id }, fieldLabel), control],
      [h("button", { type: "submit", class: "button button-secondary" }, label)],
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = control.value.trim();
      if (await act(key, { [fieldName]: value || (multiline ? "" : null) }, form)) control.value = "";
    });
    return form;
  };

  const adjustType = select("type", [["", t("keep")], ...TYPES.map((type) => [type, t(`type.${type}`)])]);
  const adjustPriority = select("priority", [["", t("keep")], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])]);
  const adjustReason = h("input", { name: "reason", id: "adjust-reason", autocomplete: "off" });
  adjustType.id = "adjust-type";
  adjustPriority.id = "adjust-priority";
  const adjustForm = actionForm(
    "adjust",
    t("adjust"),
    [
      h("h3", {}, t("adjust")),
      h("label", { for: "adjust-type" }, t("type")), adjustType,
      h("label", { for: "adjust-priority" }, t("priority")), adjustPriority,
      h("label", { for: "adjust-reason" }, t("reason")), adjustReason,
    ],
    [h("button", { type: "submit", class: "button button-secondary" }, t("adjustSubmit"))],
  );
  adjustForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = { reason: adjustReason.value.trim() || null };
    if (adjustType.value) input.type = adjustType.value;
    if (adjustPriority.value) input.priority = adjustPriority.value;
    if (await act("adjust", input, adjustForm)) {
      adjustType.value = adjustPriority.value = adjustReason.value = "";
    }
  });

  const actions = h(
    "section",
    { class: "card actions", "aria-labelledby": "actions-title" },
    h("h2", { id: "actions-title" }, t("actions")),
    simple("take", t("take")),
    withText("wait", t("wait"), "reason", t("waitReason"), false),
    simple("resume", t("resume")),
    withText("close", t("close"), "resolution", t("resolution"), true),
    simple("reopen", t("reopen")),
    adjustForm,
  );

  /** Show which actions this viewer may take on the ticket as it is now. */
  function showActions() {
    const staff = isStaff();
    const mine = ticket.author?.id === me.id;
    const status = ticket.status;
    const allowed = {
      reply: status !== "CLOSED" && (staff || mine),
      take: staff && status === "OPEN",
      wait: staff && status === "PENDING",
      resume: staff && status === "WAITING",
      close: staff && status !== "CLOSED",
      reopen: status === "CLOSED" && (staff || mine),
      adjust: me.role === "ADMIN",
    };
    for (const [key, form] of Object.entries(forms)) form.hidden = !allowed[key];
    for (const button of replyForm.querySelectorAll("[data-staff]")) button.hidden = !staff;
    actions.hidden = !["take", "wait", "resume", "close", "reopen", "adjust"].some((key) => allowed[key]);
  }

  function person(user, fallback) {
    if (user?.id && user.id === me.id) return t("you");
    return user?.displayName ?? fallback;
  }

  function render(next) {
    ticket = next;
    updateRow(ticket);
    fill(
      parts.head,
      h("p", { class: "ticket-number" }, `#${ticket.number}`),
      h("h1", { id: "ticket-title" }, ticket.subject),
      h("div", { class: "badges" }, statusBadge(ticket.status), priorityBadge(ticket.priority), dueCell(ticket)),
    );
    fill(
      parts.description,
      h("h2", { id: "description-title" }, t("description")),
      h("p", { class: "prose" }, ticket.description || "—"),
    );
    const detail = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
    fill(
      parts.details,
      detail(t("reference"), ticket.reference || t("noneGiven")),
      detail(t("type"), ticket.type ? t(`type.${ticket.type}`) : "—"),
      detail(t("priority"), priorityBadge(ticket.priority)),
      detail(t("team"), ticket.team?.name ?? t("noTeam")),
      detail(t("assignee"), ticket.assignee ? person(ticket.assignee) : t("unassigned")),
      detail(t("author"), person(ticket.author, t("someone"))),
      detail(t("due"), formatDateTime(ticket.responseDueAt) || "—"),
      ticket.resolution ? detail(t("resolution"), ticket.resolution) : null,
    );
    fill(
      parts.conversation,
      ticket.messages.nodes.map((message) =>
        h(
          "li",
          { class: `message message-${message.kind.toLowerCase()}` },
          h(
            "div",
            { class: "message-meta" },
            h("strong", {}, person(message.author, message.kind === "REQUEST" ? t("author") : t("theDesk"))),
            h("span", { class: "badge badge-kind" }, t(`kind.${message.kind}`)),
            h("time", { datetime: message.createdAt }, formatDateTime(message.createdAt)),
          ),
          h("p", { class: "prose" }, message.body),
        ),
      ),
    );
    fill(
      parts.history,
      ticket.history.nodes.map((entry) =>
        h(
          "li",
          {},
          h("time", { datetime: entry.at }, formatDateTime(entry.at)),
          h("span", {}, ` ${t(`event.${entry.kind}`)}`),
          entry.field ? h("span", { class: "muted" }, ` · ${t(entry.field)}: ${value(entry.field, entry.from)} → ${value(entry.field, entry.to)}`) : null,
          entry.reason ? h("span", { class: "muted" }, ` · ${entry.reason}`) : null,
          entry.actor ? h("span", { class: "muted" }, ` · ${person(entry.actor)}`) : null,
        ),
      ),
    );
    showActions();
  }

  async function load() {
    try {
      const data = await gql(TICKET, { number });
      if (!data.ticket) {
        fill(main, h("p", { class: "notice notice-error", role: "alert" }, t("notFound")), back);
        return false;
      }
      render(data.ticket);
      return true;
    } catch (error) {
      fill(main, h("p", { class: "notice notice-error", role: "alert" }, error.message), back);
      return false;
    }
  }

  (async () => {
    if (!(await load())) return;
    fill(
      main,
      back,
      h(
        "article",
        { class: "ticket", "aria-labelledby": "ticket-title" },
        parts.head,
        parts.live,
        h(
          "div",
          { class: "ticket-grid" },
          h(
            "div",
            { class: "ticket-main" },
            parts.description,
            h("section", { class: "card" }, h("h2", {}, t("conversation")), parts.conversation, replyForm),
          ),
          h(
            "aside",
            { class: "ticket-side" },
            h("section", { class: "card" }, parts.details),
            actions,
            h("section", { class: "card" }, h("h2", {}, t("history")), parts.history),
          ),
        ),
      ),
    );
    if (ticket.status !== "DRAFT") {
      stop = subscribe(UPDATED, { id: ticket.id }, (data) => render(data.ticketUpdated), (errors) => {
        if (!errors) return;
        fill(parts.live, errors.map((error) => error.message).join(" "));
        parts.live.hidden = false;
      });
    }
  })();

  return {
    leave: () => stop?.(),
    // Changes made while the connection was down are read again.
    reconnected: () => ticket && load(),
    tick: () => ticket && render(ticket),
  };
}
