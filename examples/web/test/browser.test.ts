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
import { graphql, startServer, type User } from "./server";

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

/** The link of the latest mail to `path` (`/reset-password`…) the server wrote to its log. */
async function mailedLink(server: Awaited<ReturnType<typeof startServer>>, path: string) {
  for (let tries = 0; tries < 100; tries++) {
    const texts = server
      .logs()
      .map((event) => String((event as { fields?: { text?: string } }).fields?.text ?? event.text ?? ""));
    const found = texts
      .reverse()
      .map((text) => text.match(new RegExp(`https?://[^\\s]+${path}\\?token=[A-Za-z0-9_-]+`)))
      .find((match) => match !== null);
    if (found) return found[0];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${path} link in the server's log`);
}

test("the service's own link pages: a button completes the reset, in Arabic and French", async (t) => {
  const server = await startServer({}, [amina]);
  t.after(() => server.stop());
  const reset = await graphql(
    server.url,
    `mutation { requestPasswordReset(email: "${amina.email}") }`,
  );
  assert.equal(reset.errors, undefined);
  // The mail's link points at PUBLIC_URL; the page is the same on the test's address.
  const link = new URL(await mailedLink(server, "/reset-password"));
  const pageUrl = `${server.baseUrl}${link.pathname}${link.search}`;

  const { page, errors } = await newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) violations.push(message.text());
  });
  await page.setExtraHTTPHeaders({ "accept-language": "ar-DZ,ar;q=0.9" });
  await page.goto(pageUrl);
  assert.equal(await page.locator("html").getAttribute("dir"), "rtl");
  assert.equal(await page.locator("script").count(), 0);
  // The stylesheet loaded under the CSP: the button is styled, not the browser default.
  const background = await page.locator("button").evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.equal(background, "rgb(26, 86, 219)");
  await screenshot(page, "link-page-reset-ar.png");

  // A weak password: the reasons, in Arabic, and the form is still there.
  await page.locator("#new_password").fill("amina");
  await page.locator("#new_password_confirm").fill("amina");
  await page.locator("button").click();
  await page.locator(".notice.error li").first().waitFor();
  assert.ok((await page.locator(".notice.error li").count()) >= 2);
  await screenshot(page, "link-page-weak-password-ar.png");

  await page.setExtraHTTPHeaders({ "accept-language": "fr-DZ,fr" });
  await page.locator("#new_password").fill("Tizi-Ouzou 2026 lanterne");
  await page.locator("#new_password_confirm").fill("Tizi-Ouzou 2026 lanterne");
  await page.locator("button").click();
  await page.locator(".notice.done").waitFor();
  assert.equal(await page.locator("html").getAttribute("lang"), "fr");
  await screenshot(page, "link-page-reset-done-fr.png");

  // Opening the link again: it is spent, and says so without a form.
  await page.goto(pageUrl);
  await page.locator("#new_password").fill("another lantern 2027 Oran");
  await page.locator("#new_password_confirm").fill("another lantern 2027 Oran");
  await page.locator("button").click();
  await page.locator(".notice.error").waitFor();
  assert.equal(await page.locator("form").count(), 0);

  const signIn = await graphql(
    server.url,
    `mutation { login(input: { username: "amina", password: "Tizi-Ouzou 2026 lanterne" }) { accessToken } }`,
  );
  assert.equal(signIn.errors, undefined);
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, []);
  await page.close();
});
