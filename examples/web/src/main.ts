// The example page: a sign-in form, then the account's sessions with "this device"
// marked, a revoke button on each, and "log out everywhere".
import { ApiError, AuthClient, webStorageStore, type TokenStore } from "./client";
import type { SessionItemFragment } from "./generated/graphql";
import "./style.css";

const url = import.meta.env.VITE_GRAPHQL_URL ?? "http://localhost:8000/graphql";

// "Keep me signed in" keeps the tokens in localStorage, where they outlive the tab;
// otherwise sessionStorage drops them with it. Any script on this origin can read
// either, so the page loads no third-party scripts.
const remembered = webStorageStore(localStorage);
const tabOnly = webStorageStore(sessionStorage);
let rememberMe = remembered.get() !== null;
const store: TokenStore = {
  get: () => (rememberMe ? remembered : tabOnly).get(),
  set: (tokens) => (rememberMe ? remembered : tabOnly).set(tokens),
};

const client = new AuthClient({
  url,
  store,
  onSignedOut: () => showError("Your session has ended. Please sign in again."),
});

const element = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const form = element<HTMLFormElement>("#sign-in");
const account = element("#account");
const errorBox = element("#error");

function showError(message: string | null) {
  errorBox.textContent = message;
  errorBox.hidden = message === null;
}

/** Runs a user action; shows its error, and the sign-in form once signed out. */
async function run(action: () => Promise<void>) {
  showError(null);
  try {
    await action();
  } catch (error) {
    showError(error instanceof ApiError ? error.message : "The server cannot be reached.");
  }
  if (!client.isSignedIn) {
    account.hidden = true;
    form.hidden = false;
  }
}

async function showAccount() {
  const [me, sessions] = await Promise.all([client.me(), client.sessions()]);
  element("#username").textContent = me.username;
  element("#sessions").replaceChildren(...sessions.map(sessionItem));
  form.hidden = true;
  account.hidden = false;
}

function sessionItem(session: SessionItemFragment): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset.sessionId = session.id;
  const about = document.createElement("div");
  about.textContent = session.deviceName ?? "Unknown device";
  if (session.current) {
    const mark = document.createElement("span");
    mark.className = "this-device";
    mark.textContent = "this device";
    about.append(mark);
  }
  const details = document.createElement("small");
  const lastUsed = new Date(session.lastUsedAt).toLocaleString();
  details.textContent = `${session.ipAddress ?? "unknown address"} · last used ${lastUsed}`;
  about.append(details);

  const revoke = document.createElement("button");
  revoke.type = "button";
  revoke.textContent = session.current ? "Sign out" : "Revoke";
  revoke.addEventListener("click", () =>
    run(async () => {
      if (session.current) return client.logout();
      await client.revokeSession(session.id);
      await showAccount();
    }),
  );
  item.append(about, revoke);
  return item;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = new FormData(form);
  rememberMe = fields.has("rememberMe");
  void run(async () => {
    await client.login({
      username: String(fields.get("username")),
      password: String(fields.get("password")),
      rememberMe,
    });
    form.reset();
    await showAccount();
  });
});

element("#logout-all").addEventListener("click", () =>
  run(async () => {
    await client.logoutAll();
  }),
);

if (client.isSignedIn) void run(showAccount);
