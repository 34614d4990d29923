// The example page: a sign-in form (password, then a second step when the account has
// one, or a passkey), then the account's sessions with "this device" marked, a revoke
// button on each, "log out everywhere", two-step sign-in and passkeys.
import QRCode from "qrcode";

import {
  ApiError,
  AuthClient,
  SecondFactorRequired,
  webStorageStore,
  type TokenStore,
} from "./client";
import type { PasskeyItemFragment, SessionItemFragment } from "./generated/graphql";
import { addPasskey, signInWithPasskey } from "./passkeys";
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
const secondStep = element<HTMLFormElement>("#second-step");
const totpForm = element<HTMLFormElement>("#totp-enrol");
/** The `mfaToken` of the sign-in waiting for its second step. */
let pendingSignIn: string | null = null;
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
    if (error instanceof SecondFactorRequired) {
      // The password was right: ask for the code, offer the passkey when there is one.
      pendingSignIn = error.mfaToken;
      element("#second-step-passkey").hidden = !error.methods.includes("PASSKEY");
      form.hidden = true;
      secondStep.hidden = false;
      return;
    }
    const message =
      error instanceof ApiError
        ? error.message
        : error instanceof DOMException
          ? "The passkey was not used."
          : "The server cannot be reached.";
    showError(message);
  }
  if (!client.isSignedIn && pendingSignIn === null) {
    account.hidden = true;
    secondStep.hidden = true;
    form.hidden = false;
  }
}

async function showAccount() {
  const [me, sessions, factors] = await Promise.all([
    client.me(),
    client.sessions(),
    client.secondFactors(),
  ]);
  element("#username").textContent = me.username;
  element("#sessions").replaceChildren(...sessions.map(sessionItem));
  element("#totp-status").textContent = factors.mfaEnabled
    ? `On: signing in asks for a code. ${factors.recoveryCodesLeft} recovery codes left.`
    : "Off: signing in asks for your password only.";
  element("#totp-start").hidden = factors.mfaEnabled;
  element("#passkeys").replaceChildren(...factors.passkeys.map(passkeyItem));
  form.hidden = true;
  secondStep.hidden = true;
  account.hidden = false;
}

function passkeyItem(passkey: PasskeyItemFragment): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset.passkeyId = passkey.id;
  const about = document.createElement("div");
  about.textContent = passkey.name ?? "Passkey";
  const details = document.createElement("small");
  const lastUsed = passkey.lastUsedAt ? new Date(passkey.lastUsedAt).toLocaleString() : "never";
  details.textContent = `added ${new Date(passkey.createdAt).toLocaleString()} · last used ${lastUsed}`;
  about.append(details);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "Remove";
  remove.addEventListener("click", () =>
    run(async () => {
      await client.removePasskey(passkey.id);
      await showAccount();
    }),
  );
  item.append(about, remove);
  return item;
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

secondStep.addEventListener("submit", (event) => {
  event.preventDefault();
  const code = String(new FormData(secondStep).get("code"));
  void run(async () => {
    if (pendingSignIn === null) return;
    await client.completeLogin(pendingSignIn, code);
    pendingSignIn = null;
    secondStep.reset();
    await showAccount();
  });
});

element("#second-step-passkey").addEventListener("click", () =>
  run(async () => {
    await signInWithPasskey(client);
    pendingSignIn = null;
    await showAccount();
  }),
);

element("#passkey-sign-in").addEventListener("click", () =>
  run(async () => {
    // A username typed in the form narrows the choice to that account's passkeys.
    const username = String(new FormData(form).get("username") ?? "").trim();
    rememberMe = new FormData(form).has("rememberMe");
    await signInWithPasskey(client, username || undefined, rememberMe);
    form.reset();
    await showAccount();
  }),
);

element("#totp-start").addEventListener("click", () =>
  run(async () => {
    const enrollment = await client.startTotpEnrollment();
    await QRCode.toCanvas(element<HTMLCanvasElement>("#totp-qr"), enrollment.otpauthUri);
    element("#totp-secret").textContent = enrollment.secret;
    totpForm.hidden = false;
  }),
);

totpForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const code = String(new FormData(totpForm).get("code"));
  void run(async () => {
    const codes = await client.confirmTotpEnrollment(code);
    totpForm.reset();
    totpForm.hidden = true;
    const list = element("#recovery-code-list");
    list.replaceChildren(
      ...codes.map((code) => Object.assign(document.createElement("li"), { textContent: code })),
    );
    // The status first, so the codes never sit beside an "Off" that is out of date.
    await showAccount();
    element("#recovery-codes").hidden = false;
  });
});

element("#passkey-add").addEventListener("click", () =>
  run(async () => {
    await addPasskey(client);
    await showAccount();
  }),
);

element("#logout-all").addEventListener("click", () =>
  run(async () => {
    await client.logoutAll();
  }),
);

if (client.isSignedIn) void run(showAccount);
