// The requester's side: their own tickets and drafts, and the draft editor (write, save, come
// back, submit).

import { explain, gql } from "./api.js";
import { field, fill, h, select } from "./dom.js";
import { formatDateTime, formatTime, t } from "./i18n.js";
import { PRIORITIES, priorityBadge, statusBadge, TYPES } from "./tickets.js";

const MINE = `
  query Mine($after: String) {
    tickets(first: 50, after: $after, filter: { mine: true }, orderBy: { field: UPDATED_AT, direction: DESC }) {
      pageInfo { hasNextPage endCursor } nodes { id number subject status priority type updatedAt }
    }
  }`;
const DRAFT_FIELDS = "id number subject description reference type requestedPriority status version";
const DRAFT = `query Draft($number: Int!) { ticket(number: $number) { ${DRAFT_FIELDS} } }`;
const CREATE = `mutation Create($input: CreateDraftInput!) {
  createDraft(input: $input) { ticket { ${DRAFT_FIELDS} } userErrors { field message code } } }`;
const UPDATE = `mutation Update($input: UpdateDraftInput!) {
  updateDraft(input: $input) { ticket { ${DRAFT_FIELDS} } userErrors { field message code } } }`;
const SUBMIT = `mutation Submit($input: SubmitTicketInput!) {
  submitTicket(input: $input) { ticket { number status } userErrors { field message code } } }`;
const DELETE = `mutation Delete($input: DeleteDraftInput!) {
  deleteDraft(input: $input) { deletedId userErrors { field message code } } }`;

/** The signed-in user's tickets, drafts included, most recently changed first. */
export async function showMine(main) {
  const list = h("ul", { class: "mine" });
  const more = h("button", { type: "button", class: "button button-secondary", hidden: true }, t("loadMore"));
  const error = h("p", { class: "notice notice-error", role: "alert", hidden: true });
  let cursor = null;
  async function load() {
    try {
      const { tickets } = await gql(MINE, { after: cursor });
      list.append(
        ...tickets.nodes.map((ticket) =>
          h(
            "li",
            { class: "mine-item", "data-number": ticket.number },
            h(
              "a",
              { href: ticket.status === "DRAFT" ? `#/draft/${ticket.number}` : `#/ticket/${ticket.number}` },
              h("span", { class: "ticket-number" }, `#${ticket.number}`),
              h("span", { class: "mine-subject" }, ticket.subject),
            ),
            h("span", { class: "badges" }, statusBadge(ticket.status), priorityBadge(ticket.priority)),
            h("time", { class: "muted", datetime: ticket.updatedAt }, formatDateTime(ticket.updatedAt)),
          ),
        ),
      );
      cursor = tickets.pageInfo.endCursor;
      more.hidden = !tickets.pageInfo.hasNextPage;
      if (!list.children.length) list.replaceWith(h("p", { class: "empty" }, t("noMine")));
    } catch (failure) {
      fill(error, failure.message);
      error.hidden = false;
    }
  }
  more.addEventListener("click", load);
  fill(
    main,
    h("div", { class: "page-head" }, h("h1", {}, t("myTickets")), h("a", { class: "button", href: "#/new" }, t("newTicket"))),
    error,
    list,
    more,
  );
  await load();
}

/** The draft editor: number null for a new draft. */
export async function showDraft(main, number) {
  let draft = null;
  const controls = {
    subject: h("input", { name: "subject", required: true, maxlength: 200, autocomplete: "off" }),
    description: h("textarea", { name: "description", rows: 8 }),
    reference: h("input", { name: "reference", autocomplete: "off" }),
    type: select("type", [["", t("chooseType")], ...TYPES.map((type) => [type, t(`type.${type}`)])]),
    priority: select("priority", [["", t("defaultPriority")], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])]),
  };
  const status = h("p", { class: "notice", role: "status", hidden: true });
  const errors = h("div", { class: "form-errors", role: "alert", hidden: true });
  const title = h("h1", {}, t("newDraft"));
  const deleteButton = h("button", { type: "button", class: "button button-danger", hidden: true }, t("deleteDraft"));
  const form = h(
    "form",
    { class: "card draft", novalidate: true },
    field("draft-subject", t("subject"), controls.subject),
    field("draft-description", t("description"), controls.description),
    h(
      "div",
      { class: "field-row" },
      field("draft-reference", t("reference"), controls.reference),
      field("draft-type", t("type"), controls.type),
      field("draft-priority", t("priority"), controls.priority),
    ),
    errors,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "button button-secondary", value: "save" }, t("saveDraft")),
      h("button", { type: "submit", class: "button", value: "submit" }, t("submit")),
      deleteButton,
    ),
  );

  function show(ticket) {
    draft = ticket;
    title.textContent = t("editDraft", { number: ticket.number });
    controls.subject.value = ticket.subject;
    controls.description.value = ticket.description;
    controls.reference.value = ticket.reference ?? "";
    controls.type.value = ticket.type ?? "";
    controls.priority.value = ticket.requestedPriority ?? "";
    deleteButton.hidden = false;
  }

  /** userErrors beside their field when they name one, above the buttons otherwise. */
  function showErrors(userErrors) {
    for (const slot of form.querySelectorAll(".field-error")) slot.hidden = true;
    for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
    const general = [];
    userErrors.forEach((error, index) => {
      const name = error.field?.[error.field.length - 1];
      const control = controls[name];
      if (control) {
        const slot = document.getElementById(`${control.id}-error`);
        slot.textContent = explain([error])[0];
        slot.hidden = false;
        control.setAttribute("aria-invalid", "true");
        if (index === 0) control.focus();
      } else {
        general.push(explain([error])[0]);
      }
    });
    fill(errors, general.map((line) => h("p", {}, line)));
    errors.hidden = general.length === 0;
  }

  function values() {
    return {
      subject: controls.subject.value.trim(),
      description: controls.description.value,
      reference: controls.reference.value.trim() || null,
      type: controls.type.value || null,
      priority: controls.priority.value || null,
    };
  }

  /** Create or update the draft; false when it was refused (the errors are shown). */
  async function save() {
    if (!controls.subject.value.trim()) {
      showErrors([{ field: ["input", "subject"], code: "VALIDATION", message: t("requiredSubject") }]);
      return false;
    }
    const payload = draft
      ? (await gql(UPDATE, { input: { id: draft.id, expectedVersion: draft.version, ...values() } })).updateDraft
      : (await gql(CREATE, { input: values() })).createDraft;
    showErrors(payload.userErrors);
    if (payload.userErrors.length) return false;
    show(payload.ticket);
    history.replaceState(null, "", `#/draft/${payload.ticket.number}`);
    return true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.hidden = true;
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((button) => (button.disabled = true));
    try {
      if (!(await save())) return;
      if (event.submitter?.value !== "submit") {
        status.textContent = t("savedAt", { time: formatTime(new Date()) });
        status.hidden = false;
        return;
      }
      const payload = (await gql(SUBMIT, { input: { id: draft.id } })).submitTicket;
      showErrors(payload.userErrors);
      if (!payload.userErrors.length) {
        sessionStorage.setItem("support-desk.notice", t("submitted", { number: payload.ticket.number }));
        location.hash = `#/ticket/${payload.ticket.number}`;
      }
    } catch (failure) {
      showErrors([{ code: "VALIDATION", message: failure.message }]);
    } finally {
      buttons.forEach((button) => (button.disabled = false));
    }
  });

  deleteButton.addEventListener("click", async () => {
    try {
      const payload = (await gql(DELETE, { input: { id: draft.id } })).deleteDraft;
      showErrors(payload.userErrors);
      if (!payload.userErrors.length) {
        sessionStorage.setItem("support-desk.notice", t("deleted"));
        location.hash = "#/mine";
      }
    } catch (failure) {
      showErrors([{ code: "VALIDATION", message: failure.message }]);
    }
  });

  const back = h("a", { class: "back", href: "#/mine" }, `← ${t("backToMine")}`);
  if (number !== null) {
    try {
      const { ticket } = await gql(DRAFT, { number });
      if (!ticket) return fill(main, back, h("p", { class: "notice notice-error", role: "alert" }, t("notFound")));
      if (ticket.status !== "DRAFT") {
        location.hash = `#/ticket/${number}`;
        return;
      }
      show(ticket);
    } catch (failure) {
      return fill(main, back, h("p", { class: "notice notice-error", role: "alert" }, failure.message));
    }
  }
  fill(main, back, h("div", { class: "page-head" }, title), status, form);
  controls.subject.focus();
}
