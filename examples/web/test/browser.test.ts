// In headless Chromium: GraphiQL served by the server runs `login`, and the example page
// signs in, lists the sessions and revokes one. Screenshots are kept in artifacts/.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { after, before, test } from "node:test";

import * as OTPAuth from "otpauth";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";

import { AuthClient } from "../src/client";
import { startServer, type User } from "./server";

const ROOT = resolve(import.meta.dirname, "..");
const ARTIFACTS = join(ROOT, "artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const amina: User = {
  username: "amina",
  email: "amina@example.dz",
  password: "plum orbit quartz lantern 7",
};

const PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

let browser: BrowserContext;
let profile: string;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  profile = await mkdtemp(join(tmpdir(), "graphql-auth-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1100, height: 760 },
  });
});

after(async () => {
  await browser?.close();
  await rm(profile, { recursive: true, force: true });
});

/** A new tab, and the uncaught errors of its page (each test expects none). */
async function newPage(): Promise<{ page: Page; errors: Error[] }> {
  const page = await browser.newPage();
  const errors: Error[] = [];
  page.on("pageerror", (error) => errors.push(error));
  return { page, errors };
}

async function screenshot(page: Page, name: string) {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

test("GraphiQL runs a login mutation and shows the tokens", async (t) => {
  const server = await startServer({}, [amina]);
  t.after(() => server.stop());
  const { page, errors } = await newPage();

  await page.goto(server.url);
  const editor = page.locator(".graphiql-query-editor .CodeMirror");
  await editor.click();
  await page.keyboard.press("Control+A");
  // insertText, not typing: the editor would close every bracket a second time.
  await page.keyboard.insertText(
    [
      "mutation {",
      `login(input: { username: "amina", password: "${amina.password}" }) {`,
      "accessToken",
      "refreshToken",
      "user { username }",
      "}",
      "}",
    ].join("\n"),
  );
  await page.getByRole("button", { name: /^Prettify query/ }).click();
  await page.locator("button.graphiql-execute-button").click();
  await page.locator(".result-window").getByText("refreshToken").waitFor();

  const shown = await page
    .locator(".result-window .CodeMirror")
    .evaluate((node) => (node as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
  const { data } = JSON.parse(shown);
  assert.match(data.login.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT");
  assert.ok(data.login.refreshToken.length > 20);
  assert.equal(data.login.user.username, "amina");
  await screenshot(page, "graphiql-login.png");
  assert.deepEqual(errors, []);
});

test("the example page signs in, lists the sessions and revokes one", async (t) => {
  const site = await serveDirectory(await mkdtemp(join(tmpdir(), "graphql-auth-site-")));
  t.after(() => site.close());
  const server = await startServer({ CORS_ORIGINS: site.origin }, [amina]);
  t.after(() => server.stop());
  await buildPage(site.dir, server.url);

  // Another device, signed in from Node, for the page to revoke.
  const phone = new AuthClient({
    url: server.url,
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...init?.headers, "user-agent": PHONE } }),
  });
  const onPhone = await phone.login({ username: amina.username, password: amina.password });

  const { page, errors } = await newPage();
  await page.goto(site.origin);
  await page.getByLabel("Username or email").fill(amina.username);
  await page.getByLabel("Password").fill(amina.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();

  const items = page.locator("#sessions li");
  await items.nth(1).waitFor();
  assert.equal(await page.locator("#username").textContent(), "amina");
  assert.equal(await page.locator("#sign-in").isHidden(), true);
  assert.equal(await items.count(), 2);
  const current = items.filter({ hasText: "this device" });
  assert.equal(await current.count(), 1);
  const other = page.locator(`#sessions li[data-session-id="${onPhone.session.id}"]`);
  assert.equal(await other.filter({ hasText: "this device" }).count(), 0);
  await screenshot(page, "example-sessions.png");

  await other.getByRole("button", { name: "Revoke" }).click();
  await other.waitFor({ state: "detached" });
  assert.equal(await items.count(), 1);
  await assert.rejects(phone.me(), { code: "INVALID_TOKEN" });

  await page.getByRole("button", { name: "Log out everywhere" }).click();
  await page.locator("#sign-in").waitFor({ state: "visible" });
  assert.equal(await page.locator("#account").isHidden(), true);
  assert.deepEqual(errors, []);
});

test("the page turns on two-step sign-in, adds a passkey and signs in with each", async (t) => {
  // WebAuthn binds passkeys to a domain, never an IP address: the page is on localhost.
  const site = await serveDirectory(await mkdtemp(join(tmpdir(), "graphql-auth-site-")), "localhost");
  t.after(() => site.close());
  const server = await startServer(
    { CORS_ORIGINS: site.origin, WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: site.origin },
    [amina],
  );
  t.after(() => server.stop());
  await buildPage(site.dir, server.url);

  const { page, errors } = await newPage();
  // Chromium's virtual authenticator: a platform passkey that verifies its user.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const signOutEverywhere = async () => {
    await page.getByRole("button", { name: "Log out everywhere" }).click();
    await page.locator("#sign-in").waitFor({ state: "visible" });
  };
  const signInWithPassword = async () => {
    await page.getByLabel("Username or email").fill(amina.username);
    await page.getByLabel("Password").fill(amina.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  };

  await page.goto(site.origin);
  await signInWithPassword();
  await page.locator("#account").waitFor({ state: "visible" });

  // Enrolment: the QR code and the key, a code from the app, the recovery codes once.
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await page.locator("#totp-enrol").waitFor({ state: "visible" });
  const secret = (await page.locator("#totp-secret").textContent()) ?? "";
  const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  assert.ok(await page.locator("#totp-qr").evaluate((c) => (c as HTMLCanvasElement).width > 100));
  await screenshot(page, "totp-enrolment.png");
  await page.getByLabel("Code from the app").fill(app.generate());
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.locator("#recovery-codes").waitFor({ state: "visible" });
  assert.equal(await page.locator("#recovery-code-list li").count(), 10);
  assert.match((await page.locator("#totp-status").textContent()) ?? "", /^On:/);
  await screenshot(page, "recovery-codes.png");

  // A passkey, made by the virtual authenticator.
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.locator("#passkeys li").first().waitFor();
  assert.equal(await page.locator("#passkeys li").count(), 1);
  await screenshot(page, "passkeys.png");

  // The password now leads to the second step, which offers the passkey too. The code
  // is the next step's: the one that turned TOTP on cannot sign in again.
  await signOutEverywhere();
  await signInWithPassword();
  await secondStep(page);
  assert.equal(await page.locator("#second-step-passkey").isVisible(), true);
  await screenshot(page, "second-step.png");
  await page.getByLabel("Code", { exact: true }).fill(app.generate({ timestamp: Date.now() + 30_000 }));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#account").waitFor({ state: "visible" });

  // A passkey alone signs in: discoverable (no username), then by username.
  await signOutEverywhere();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.locator("#account").waitFor({ state: "visible" });
  assert.equal(await page.locator("#username").textContent(), "amina");
  assert.doesNotMatch((await page.locator("#passkeys li").textContent()) ?? "", /last used never/);
  await signOutEverywhere();
  await page.getByLabel("Username or email").fill(amina.username);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.locator("#account").waitFor({ state: "visible" });

  // Removed, it signs in no more.
  await page.locator("#passkeys li").getByRole("button", { name: "Remove" }).click();
  await page.locator("#passkeys li").waitFor({ state: "detached" });
  await signOutEverywhere();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.locator("#error").waitFor({ state: "visible" });
  assert.equal(await page.locator("#account").isHidden(), true);
  assert.deepEqual(errors, []);
});

async function secondStep(page: Page) {
  await page.locator("#second-step").waitFor({ state: "visible" });
  assert.equal(await page.locator("#sign-in").isHidden(), true);
}

/** Builds the page with its GraphQL endpoint set to `url`. */
async function buildPage(outDir: string, url: string) {
  process.env.VITE_GRAPHQL_URL = url;
  try {
    await build({ root: ROOT, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  } finally {
    delete process.env.VITE_GRAPHQL_URL;
  }
}

/** A static file server on a free port, started before the page is built into `dir`:
 * the API server has to know the page's origin (CORS) before the page knows the API's. */
async function serveDirectory(dir: string, host = "127.0.0.1") {
  const types: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
  };
  const server = createServer(async (request, response) => {
    const path = normalize(new URL(request.url ?? "/", "http://x").pathname);
    const file = join(dir, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    dir,
    origin: `http://${host}:${port}`,
    async close() {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
