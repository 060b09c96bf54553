// Sign-in, the routes (#/, #/ticket/N, #/mine, #/new, #/draft/N), the header and the
// connection banner.

import { disconnect, explain, gql, on, session } from "./api.js";
import { field, fill, h } from "./dom.js";
import { formatTime, t, translatePage } from "./i18n.js";
import { hideQueue, showQueue, startQueue, stopQueue, tick } from "./queue.js";
import { showDraft, showMine } from "./requester.js";
import { showTicket } from "./ticket.js";

const ME = "query Me { me { id displayName role teams { id name kind } } }";
const LOGIN = `mutation Login($input: LoginInput!) {
  login(input: $input) { token userErrors { field message code } } }`;

const main = document.getElementById("main");
const topbar = document.querySelector(".topbar");
const banner = document.querySelector(".offline-banner");
const liveStatus = document.querySelector(".live");
const flash = document.querySelector(".flash");
let queue = null; // the live queue, for handlers and admins
let view = null; // what the current route drew: { leave, reconnected, tick }
let offlineSince = null;

const isHandler = () => ["HANDLER", "ADMIN"].includes(session.me?.role);

function signInForm(message) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const errors = h("div", { class: "form-errors", role: "alert", hidden: !message }, message ? h("p", {}, message) : null);
  const form = h(
    "form",
    { class: "card sign-in", novalidate: true },
    h("h1", {}, t("signInTitle")),
    field("sign-in-email", t("email"), email),
    field("sign-in-password", t("password"), password),
    errors,
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "button" }, t("signIn"))),
  );
  const button = form.querySelector("button");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const { login } = await gql(LOGIN, { input: { email: email.value.trim(), password: password.value } });
      if (login.userErrors.length) {
        fill(errors, explain(login.userErrors).map((line) => h("p", {}, line)));
        errors.hidden = false;
        return password.select();
      }
      session.token = login.token;
      await start();
    } catch (error) {
      fill(errors, h("p", {}, error.message));
      errors.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  topbar.hidden = true;
  fill(main, h("div", { class: "centred" }, form));
  email.focus();
}

function signOut(message) {
  session.token = null;
  session.me = null;
  view?.leave?.();
  view = null;
  stopQueue();
  queue = null;
  disconnect();
  setOffline(false);
  flash.hidden = true;
  history.replaceState(null, "", "#/");
  signInForm(message);
}

function setOffline(offline) {
  if (offline && offlineSince === null) offlineSince = new Date();
  if (!offline) offlineSince = null;
  banner.hidden = offlineSince === null;
  if (offlineSince) banner.textContent = t("offlineSince", { time: formatTime(offlineSince) });
  if (!isHandler()) return; // only the queue is always live
  liveStatus.textContent = offlineSince ? "" : t("live");
  liveStatus.className = offlineSince ? "live" : "live is-live";
}

function navigation() {
  const links = isHandler()
    ? [["#/", t("queue")], ["#/mine", t("myTickets")]]
    : [["#/mine", t("myTickets")], ["#/new", t("newTicket")]];
  const current = location.hash || "#/";
  fill(
    topbar.querySelector(".nav"),
    links.map(([href, label]) => h("a", { href, "aria-current": href === current ? "page" : false }, label)),
  );
}

async function route() {
  if (!session.me) return;
  view?.leave?.();
  view = null;
  hideQueue();
  navigation();
  main.focus(); // keyboard and screen-reader users start from the new content
  const path = (location.hash || "#/").slice(1);
  // What the previous page did (submitted, deleted), said above the next one.
  flash.textContent = sessionStorage.getItem("support-desk.notice") ?? "";
  flash.hidden = !flash.textContent;
  sessionStorage.removeItem("support-desk.notice");
  let match;
  if ((match = path.match(/^\/ticket\/(\d+)$/))) {
    const back = isHandler()
      ? h("a", { class: "back", href: "#/" }, `← ${t("backToQueue")}`)
      : h("a", { class: "back", href: "#/mine" }, `← ${t("backToMine")}`);
    view = showTicket(main, Number(match[1]), back);
  } else if ((match = path.match(/^\/draft\/(\d+)$/))) {
    await showDraft(main, Number(match[1]));
  } else if (path === "/new") {
    await showDraft(main, null);
  } else if (path === "/mine" || !isHandler()) {
    await showMine(main);
  } else {
    showQueue(main);
    view = { reconnected: () => {}, tick };
  }
}

async function start() {
  try {
    const { me } = await gql(ME);
    if (!me) return signOut();
    session.me = me;
  } catch (error) {
    return signInForm(error.message);
  }
  topbar.hidden = false;
  topbar.querySelector(".user-name").textContent = session.me.displayName;
  liveStatus.textContent = isHandler() ? t("connecting") : "";
  liveStatus.className = "live";
  if (isHandler()) queue = startQueue();
  await route();
}

on("connected", (wasRetry) => {
  setOffline(false);
  if (wasRetry) {
    queue?.reconnected();
    view?.reconnected?.();
  }
});
on("closed", () => setOffline(true));
on("expired", () => signOut(t("signedOutExpired")));

translatePage();
window.addEventListener("hashchange", route);
topbar.querySelector(".sign-out").addEventListener("click", () => signOut());
setInterval(() => view?.tick?.(), 30000);
if (session.token) start();
else signInForm();
