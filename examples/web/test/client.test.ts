// The client against a live server: sign-in, sessions, refresh once, sign-out paths.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";

import * as OTPAuth from "otpauth";

import {
  ApiError,
  AuthClient,
  SecondFactorRequired,
  memoryStore,
  type ClientOptions,
  type TokenStore,
} from "../src/client";
import { graphql, sleep, startServer, type Server, type User } from "./server";

const amina: User = {
  username: "amina",
  email: "amina@example.dz",
  password: "plum orbit quartz lantern 7",
};

async function serve(t: TestContext, settings: Record<string, string> = {}) {
  const server = await startServer(settings, [amina]);
  t.after(() => server.stop());
  return server;
}

/** A client on its own device (user agent) that counts the refreshes it sends. */
function device(server: Server, userAgent: string, options: Partial<ClientOptions> = {}) {
  const stats = { refreshes: 0, signedOut: [] as string[] };
  const store = options.store ?? memoryStore();
  const client = new AuthClient({
    url: server.url,
    store,
    fetch: (input, init) => {
      if (String(init?.body).includes("mutation Refresh")) stats.refreshes += 1;
      return fetch(input, { ...init, headers: { ...init?.headers, "user-agent": userAgent } });
    },
    onSignedOut: (reason) => stats.signedOut.push(reason.code),
    ...options,
  });
  return { client, store, stats };
}

const LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

async function rejectsWith(promise: Promise<unknown>, codes: string[]) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    assert.ok(codes.includes(error.code), `expected one of ${codes.join(", ")}, got ${error.code}`);
    return true;
  });
}

async function refreshEvents(server: Server, store: TokenStore) {
  const { data, errors } = await graphql<{ securityEvents: { nodes: { kind: string }[] } }>(
    server.url,
    "{ securityEvents(first: 50) { nodes { kind } } }",
    store.get()?.accessToken,
  );
  assert.equal(errors, undefined);
  return data!.securityEvents.nodes.filter((e) => e.kind === "TOKEN_REFRESHED").length;
}

test("login keeps the tokens and sessions marks the current one", async (t) => {
  const server = await serve(t);
  const laptop = device(server, LAPTOP);
  const phone = device(server, PHONE);

  const signedIn = await laptop.client.login({ username: amina.username, password: amina.password });
  const onPhone = await phone.client.login({ username: amina.email, password: amina.password });
  assert.equal(signedIn.user.username, "amina");
  assert.ok(laptop.store.get()?.accessToken && laptop.store.get()?.refreshToken);

  const sessions = await laptop.client.sessions();
  assert.equal(sessions.length, 2);
  assert.deepEqual(
    sessions.filter((s) => s.current).map((s) => s.id),
    [signedIn.session.id],
  );
  assert.equal(sessions[0]?.id, signedIn.session.id, "the current session comes first");
  assert.deepEqual(
    (await phone.client.sessions()).filter((s) => s.current).map((s) => s.id),
    [onPhone.session.id],
  );
  assert.equal(laptop.stats.refreshes, 0, "a fresh token needs no refresh");
});

test("concurrent requests near expiry share exactly one refresh", async (t) => {
  const server = await serve(t, { ACCESS_TOKEN_TTL: "3s" });
  const { client, store, stats } = device(server, LAPTOP, { refreshMarginMs: 1_000 });
  await client.login({ username: amina.username, password: amina.password });
  const first = store.get()!;

  await client.me();
  assert.equal(stats.refreshes, 0);
  // Into the last second of the token's life: the next requests must refresh first.
  await sleep(Date.parse(first.accessTokenExpiresAt) - Date.now() - 800);
  const answers = await Promise.all([
    client.me(),
    client.sessions(),
    client.me(),
    client.sessions(),
    client.me(),
  ]);
  assert.equal(answers.length, 5);
  assert.equal(stats.refreshes, 1, "one refresh mutation for five concurrent requests");
  const second = store.get()!;
  assert.notEqual(second.accessToken, first.accessToken);
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.ok(Date.parse(second.accessTokenExpiresAt) > Date.parse(first.accessTokenExpiresAt));

  await client.sessions();
  assert.equal(stats.refreshes, 1, "the new token is used until it nears expiry");
  assert.equal(await refreshEvents(server, store), 1, "the server saw one refresh");
});

test("a token the server refuses gets one refresh and one retry", async (t) => {
  const server = await serve(t);
  const { client, store, stats } = device(server, LAPTOP);
  await client.login({ username: amina.username, password: amina.password });
  // What a skewed clock looks like: a token we think fresh that the server refuses.
  store.set({ ...store.get()!, accessToken: "not-a-valid-token" });

  const [me, sessions] = await Promise.all([client.me(), client.sessions()]);
  assert.equal(me.username, "amina");
  assert.equal(sessions.length, 1);
  assert.equal(stats.refreshes, 1);
  assert.notEqual(store.get()?.accessToken, "not-a-valid-token");
});

test("revoking a session signs that device out", async (t) => {
  const server = await serve(t);
  const laptop = device(server, LAPTOP);
  const phone = device(server, PHONE);
  await laptop.client.login({ username: amina.username, password: amina.password });
  const onPhone = await phone.client.login({ username: amina.username, password: amina.password });

  const revoked = await laptop.client.revokeSession(onPhone.session.id);
  assert.deepEqual(revoked, { id: onPhone.session.id, isActive: false });
  assert.equal((await laptop.client.sessions()).length, 1);

  // Its access token is refused, so it tries the refresh token, which is dead too.
  await rejectsWith(phone.client.me(), ["INVALID_TOKEN"]);
  assert.equal(phone.client.isSignedIn, false);
  assert.deepEqual(phone.stats.signedOut, ["INVALID_TOKEN"]);
  assert.equal(phone.stats.refreshes, 1);
  await rejectsWith(laptop.client.revokeSession("no-such-session"), ["NOT_FOUND"]);
});

test("logoutAll ends every session, this one included", async (t) => {
  const server = await serve(t);
  const laptop = device(server, LAPTOP);
  const phone = device(server, PHONE);
  await laptop.client.login({ username: amina.username, password: amina.password });
  await phone.client.login({ username: amina.username, password: amina.password });
  const laptopTokens = laptop.store.get()!;

  assert.equal(await laptop.client.logoutAll(), 2);
  assert.equal(laptop.client.isSignedIn, false);
  await rejectsWith(phone.client.sessions(), ["INVALID_TOKEN"]);
  assert.equal(phone.client.isSignedIn, false);
  const { errors } = await graphql(server.url, "{ me { id } }", laptopTokens.accessToken);
  assert.equal(errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
});

test("a replayed refresh token: the same successor within the grace window, TOKEN_REUSED after", async (t) => {
  const server = await serve(t, { REFRESH_REUSE_GRACE: "2s" });
  // A margin longer than the token's life: every request refreshes first.
  const always = { refreshMarginMs: Number.MAX_SAFE_INTEGER };
  const tab = device(server, LAPTOP, always);
  await tab.client.login({ username: amina.username, password: amina.password });
  const copy = () => {
    const store = memoryStore();
    store.set({ ...tab.store.get()! });
    return device(server, LAPTOP, { ...always, store });
  };

  // Two tabs holding the same refresh token, both refreshing at once: one successor.
  const otherTab = copy();
  await Promise.all([tab.client.me(), otherTab.client.me()]);
  assert.equal(otherTab.store.get()?.refreshToken, tab.store.get()?.refreshToken);

  // A stale copy presented after the grace window: the whole session ends.
  const stale = copy();
  await tab.client.me();
  await sleep(2_500);
  await rejectsWith(stale.client.me(), ["TOKEN_REUSED"]);
  assert.deepEqual(stale.stats.signedOut, ["TOKEN_REUSED"]);
  await rejectsWith(tab.client.me(), ["INVALID_TOKEN"]);
  assert.equal(tab.client.isSignedIn, false);
});

test("a login of an account with TOTP asks for the second step, and a code completes it", async (t) => {
  const server = await serve(t);
  const { client } = device(server, LAPTOP);
  await client.login({ username: amina.username, password: amina.password });
  const { secret } = await client.startTotpEnrollment();
  const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  const codes = await client.confirmTotpEnrollment(app.generate());
  assert.equal(codes.length, 10);
  await client.logout();

  const again = device(server, PHONE).client;
  const refusal = await again
    .login({ username: amina.username, password: amina.password })
    .then(() => assert.fail("signed in without the second step"))
    .catch((error: unknown) => error);
  assert.ok(refusal instanceof SecondFactorRequired, String(refusal));
  assert.deepEqual(refusal.methods, ["TOTP", "RECOVERY_CODE"]);
  assert.equal(again.isSignedIn, false);
  await rejectsWith(again.completeLogin(refusal.mfaToken, "000000"), ["INVALID_CREDENTIALS"]);
  // A recovery code works in place of the app's code, once.
  await again.completeLogin(refusal.mfaToken, codes[0]!.toLowerCase());
  assert.equal((await again.me()).username, amina.username);
  assert.equal((await again.secondFactors()).recoveryCodesLeft, 9);
});
