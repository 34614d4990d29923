// The resource server against the real graphql-auth binary: tokens it issues are checked
// here with nothing but its published keys, and introspection catches a revoked session.
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";

import { SignJWT, decodeProtectedHeader } from "jose";

import { graphql, runCommand, startServer, type Server, type User } from "../../web/test/server.ts";
import { createApp } from "../src/app.ts";
import { TokenVerifier } from "../src/tokens.ts";

const amina: User = {
  username: "amina",
  email: "amina@example.dz",
  password: "plum orbit quartz lantern 7",
};
const INTROSPECTION_TOKEN = "resource-server-example-introspection-secret";

/**
 * A key ring with one EdDSA key, made by the binary's own `rotate-signing-key`, so the
 * server signs with a key whose public half it publishes (an HS256 secret has none).
 */
async function eddsaKeyRing(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "graphql-auth-keys-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "jwt-keys.json");
  const env = { PATH: process.env.PATH ?? "", APP_ENV: "development", DATA_DIR: dir, JWT_KEYS_FILE: file };
  await runCommand(["rotate-signing-key", "--alg", "EdDSA"], env, dir);
  return file;
}

/** A port free a moment ago: the issuer and the JWKS URL come from PUBLIC_URL, so the
 * server must know its address before it starts (port 0 would leave them wrong). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The auth service, signing with `keyRing`, introspection on, `amina` registered. */
async function authService(t: TestContext, keyRing: string, settings: Record<string, string> = {}) {
  const port = await freePort();
  const server = await startServer(
    {
      BIND_ADDR: `127.0.0.1:${port}`,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      JWT_KEYS_FILE: keyRing,
      INTROSPECTION_TOKEN,
      ...settings,
    },
    [amina],
  );
  t.after(() => server.stop());
  return server;
}

/** The example API, trusting `auth`, on a port of its own. Returns its base URL. */
async function resourceServer(t: TestContext, authUrl: string, timeoutMs?: number) {
  const verifier = await TokenVerifier.discover({
    authUrl,
    introspectionToken: INTROSPECTION_TOKEN,
    introspectionTimeoutMs: timeoutMs,
  });
  return listen(t, createApp(verifier));
}

async function listen(t: TestContext, server: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections(); // including a request left hanging on purpose
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function login(auth: Server): Promise<{ accessToken: string; userId: string; sessionId: string }> {
  const { data, errors } = await graphql<{
    login: { accessToken: string; user: { id: string }; session: { id: string } };
  }>(
    auth.url,
    `mutation { login(input: { username: "${amina.username}", password: "${amina.password}" }) {
       accessToken user { id } session { id } } }`,
  );
  assert.equal(errors, undefined);
  const { accessToken, user, session } = data!.login;
  return { accessToken, userId: user.id, sessionId: session.id };
}

const get = (url: string, token?: string) =>
  fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (url: string, token: string) =>
  fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` } });

async function assertRefused(response: Response) {
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  await response.body?.cancel();
}

/** Replaces one character of `part` (0 header, 1 payload, 2 signature) in its middle,
 * where every base64url character carries six bits of the value. */
function changeOneCharacter(token: string, part: number): string {
  const parts = token.split(".");
  const text = parts[part]!;
  const i = Math.floor(text.length / 2);
  parts[part] = text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
  return parts.join(".");
}

test("a fresh access token from login is accepted by /api/me, verified locally", async (t) => {
  const auth = await authService(t, await eddsaKeyRing(t));
  const api = await resourceServer(t, auth.baseUrl);
  const { accessToken, userId, sessionId } = await login(auth);
  assert.equal(decodeProtectedHeader(accessToken).alg, "EdDSA");

  const response = await get(`${api}/api/me`, accessToken);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { sub: userId, sid: sessionId });

  // No token at all: a challenge without an error code (RFC 6750 §3.1).
  const anonymous = await get(`${api}/api/me`);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("www-authenticate"), "Bearer");
  await anonymous.body?.cancel();
});

test("a token with one character changed, or re-signed with HS256, is refused", async (t) => {
  const auth = await authService(t, await eddsaKeyRing(t));
  const api = await resourceServer(t, auth.baseUrl);
  const { accessToken } = await login(auth);

  await assertRefused(await get(`${api}/api/me`, changeOneCharacter(accessToken, 2)));
  await assertRefused(await get(`${api}/api/me`, changeOneCharacter(accessToken, 1)));

  // The same claims and kid, signed with a secret of the forger's choosing. jose refuses
  // it on the pinned algorithms, before it even looks for a key (so a forged `alg`
  // cannot make it fetch the JWKS); the JWKS has no HS256 key besides.
  const [, payload] = accessToken.split(".");
  const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
  const { kid } = decodeProtectedHeader(accessToken);
  const forged = await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", kid })
    .sign(new TextEncoder().encode("a secret the attacker chose, 32 bytes long"));
  await assertRefused(await get(`${api}/api/me`, forged));
});

test("a token of another issuer is refused, even when signed with the same key", async (t) => {
  const keyRing = await eddsaKeyRing(t);
  const auth = await authService(t, keyRing);
  const impostor = await authService(t, keyRing, { JWT_ISSUER: "https://impostor.example" });
  const api = await resourceServer(t, auth.baseUrl);

  const { accessToken } = await login(impostor);
  await assertRefused(await get(`${api}/api/me`, accessToken));
  // The control: the same account's token from the issuer we trust passes.
  assert.equal((await get(`${api}/api/me`, (await login(auth)).accessToken)).status, 200);
});

test("after logout the token still passes /api/me until it expires, but not /api/payouts", async (t) => {
  const auth = await authService(t, await eddsaKeyRing(t));
  const api = await resourceServer(t, auth.baseUrl);
  const { accessToken } = await login(auth);
  assert.equal((await post(`${api}/api/payouts`, accessToken)).status, 202);

  const { data, errors } = await graphql<{ logout: boolean }>(auth.url, "mutation { logout }", accessToken);
  assert.equal(errors, undefined);
  assert.equal(data!.logout, true);

  // By design: local verification asks nobody, so it cannot know the session ended.
  // The token stays good here until its `exp` (ACCESS_TOKEN_TTL, 60 min by default);
  // that is the price of not calling the auth service on every request.
  const me = await get(`${api}/api/me`, accessToken);
  assert.equal(me.status, 200);
  await me.body?.cancel();

  // Introspection asks the auth service, which knows the session is gone.
  await assertRefused(await post(`${api}/api/payouts`, accessToken));
});

test("when introspection does not answer in time, /api/payouts fails closed with 503", async (t) => {
  const auth = await authService(t, await eddsaKeyRing(t));
  // The real issuer and keys, but an introspection endpoint that never answers.
  const hanging = await listen(t, createServer(() => {}));
  const real = (await (await fetch(`${auth.baseUrl}/.well-known/openid-configuration`)).json()) as object;
  const discovery = await listen(
    t,
    createServer((_, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ...real, introspection_endpoint: `${hanging}/oauth/introspect` }));
    }),
  );
  const api = await resourceServer(t, discovery, 200);
  const { accessToken } = await login(auth);

  const response = await post(`${api}/api/payouts`, accessToken);
  assert.equal(response.status, 503);
  await response.body?.cancel();
  // Local verification does not need introspection, so it goes on working.
  assert.equal((await get(`${api}/api/me`, accessToken)).status, 200);
});
