// Sign-up, email verification, the cookie, reload, refresh-once and the second step,
// in headless Chromium against the live server. Screenshots go to artifacts/.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as OTPAuth from "otpauth";
import type { Browser, Page } from "playwright-core";

import {
  buildApp,
  countRefreshes,
  launchBrowser,
  linkIn,
  removeDir,
  screenshot,
  signInOnPage,
  startStack,
  waitUntil,
} from "./harness";
import { graphql, signInElsewhere, type User } from "./server";

const amina: User = { username: "amina", email: "amina@example.dz", password: "plum orbit quartz lantern 7" };

let appDir: string;
let browser: Browser;

before(async () => {
  [appDir, browser] = await Promise.all([buildApp(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await removeDir(appDir);
});

/** A fresh browser profile (its own cookies), one tab, and its uncaught errors. */
async function newTab() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on("pageerror", (error) => errors.push(error));
  return { context, page, errors };
}

async function signUp(page: Page, origin: string, user: User, password = user.password) {
  await page.goto(`${origin}/sign-up`);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Password again").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
}

test("sign-up lists each WEAK_PASSWORD reason, then creates the account and signs in", async (t) => {
  const stack = await startStack(appDir);
  t.after(() => stack.close());
  const { page, errors } = await newTab();

  // Short, and built on the username and on the email's name: a list item each.
  await signUp(page, stack.origin, amina, "amina1");
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.getAttribute("data-code"), "WEAK_PASSWORD");
  const reasons = alert.getByRole("list", { name: "What to change" }).getByRole("listitem");
  assert.deepEqual(await reasons.allTextContents(), [
    "Use at least 8 characters.",
    "Don't build it on your username.",
    "Don't build it on your email address.",
  ]);
  await screenshot(page, "sign-up-weak-password.png");

  // Among the common passwords: that reason alone.
  await page.getByLabel("Password", { exact: true }).fill("password");
  await page.getByLabel("Password again").fill("password");
  await page.getByRole("button", { name: "Create account" }).click();
  await reasons.filter({ hasText: "too common" }).waitFor();
  assert.equal(await reasons.count(), 1);

  await page.getByLabel("Password", { exact: true }).fill(amina.password);
  await page.getByLabel("Password again").fill(amina.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Your sessions" }).waitFor();
  assert.equal(await page.getByTestId("username").textContent(), "amina");
  await page.getByText("not verified yet").waitFor();
  assert.deepEqual(errors, []);
});

test("the mailed verification link opens a page whose button, not the visit, verifies", async (t) => {
  const stack = await startStack(appDir);
  t.after(() => stack.close());
  const { page, errors } = await newTab();
  await signUp(page, stack.origin, amina);
  await page.getByRole("heading", { name: "Your sessions" }).waitFor();

  const mail = await stack.server.nextMail(amina.email);
  const link = linkIn(mail.text, "/verify-email");
  assert.equal(link.origin, stack.origin, "APP_URL: the link leads to the app");

  // A mail scanner, or the person, opening the link verifies nothing.
  const mutations: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST") mutations.push(request.postData() ?? "");
  });
  await page.goto(link.href);
  const button = page.getByRole("button", { name: "Verify my email address" });
  await button.waitFor();
  assert.equal(mutations.filter((body) => body.includes("verifyEmail")).length, 0);
  assert.equal(await emailVerified(stack.server.url), false);
  await screenshot(page, "verify-email.png");

  await button.click();
  await page.getByRole("status").filter({ hasText: `${amina.email} is verified` }).waitFor();
  assert.equal(await emailVerified(stack.server.url), true);
  await screenshot(page, "verify-email-done.png");

  // The account page shows it too (the mutation's User refreshed the cached `me`).
  await page.getByRole("link", { name: "Continue" }).click();
  await page.getByText(", verified").waitFor();

  // Used once: the same link again is INVALID_TOKEN, in the kit's words.
  await page.goto(link.href);
  await button.click();
  await page.getByRole("alert").filter({ hasText: "expired or was already used" }).waitFor();
  assert.deepEqual(errors, []);
});

async function emailVerified(url: string): Promise<boolean> {
  const { accessToken } = await signInElsewhere(url, amina);
  const { data } = await graphql<{ me: { emailVerified: boolean } }>(url, "{ me { emailVerified } }", {
    accessToken,
  });
  return data!.me.emailVerified;
}

test("the refresh token is only in an HttpOnly cookie, and a reload restores the session", async (t) => {
  const stack = await startStack(appDir, {}, [amina]);
  t.after(() => stack.close());
  const { context, page, errors } = await newTab();
  await signInOnPage(page, stack.origin, amina);

  const cookies = await context.cookies();
  const refresh = cookies.find((cookie) => cookie.name === "refresh_token");
  assert.ok(refresh, `a refresh_token cookie among ${cookies.map((c) => c.name).join(", ")}`);
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, "Strict");
  assert.equal(refresh.path, "/graphql");
  assert.ok(refresh.value.length > 20);
  // Scripts see none of it, and nothing is kept in web storage.
  const visible = await page.evaluate(() => ({
    cookie: document.cookie,
    local: Object.keys(localStorage).length,
    session: Object.keys(sessionStorage).length,
  }));
  assert.deepEqual(visible, { cookie: "", local: 0, session: 0 });

  // The access token was in memory only: a reload refreshes once from the cookie.
  const refreshes = countRefreshes(page);
  await page.reload();
  await page.getByRole("heading", { name: "Your sessions" }).waitFor();
  assert.equal(await page.getByTestId("username").textContent(), "amina");
  assert.equal(refreshes.count, 1);
  const rotated = (await context.cookies()).find((c) => c.name === "refresh_token");
  assert.notEqual(rotated?.value, refresh.value, "each refresh rotates the cookie");
  assert.deepEqual(errors, []);
});

test("after the access token expires, concurrent queries share exactly one refresh", async (t) => {
  const stack = await startStack(appDir, { ACCESS_TOKEN_TTL: "4s" }, [amina]);
  t.after(() => stack.close());
  const { page, errors } = await newTab();
  await signInOnPage(page, stack.origin, amina);
  const sessionsList = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
  await sessionsList.first().waitFor();

  const refreshes = countRefreshes(page);
  const queries: string[] = [];
  page.on("request", (request) => {
    const body = request.postData() ?? "";
    if (request.url().endsWith("/graphql") && body.includes('"query":"query')) queries.push(body);
  });
  // The token's 4 s, less its last second (the margin): stale after 3 s.
  await page.waitForTimeout(3_500);
  await page.getByRole("button", { name: "Refresh" }).click();

  // Me, sessions and activity waited for one refresh, then went out with the new token.
  const activity = page.getByRole("list", { name: "Recent activity" }).getByRole("listitem");
  await activity.filter({ hasText: "TOKEN_REFRESHED" }).first().waitFor();
  await waitUntil(() => queries.length >= 3);
  assert.equal(refreshes.count, 1, "one refresh for three queries");
  assert.equal(queries.length, 3, "each query sent once, after the refresh");
  assert.equal(await activity.filter({ hasText: "TOKEN_REFRESHED" }).count(), 1, "the server saw one");

  // The new token serves the next queries without another refresh.
  await page.getByRole("button", { name: "Refresh" }).click();
  await waitUntil(() => queries.length >= 6);
  assert.equal(refreshes.count, 1);
  await screenshot(page, "refresh-once.png");
  assert.deepEqual(errors, []);
});

test("an account with two-step sign-in: MFA_REQUIRED asks for the code, completeLogin signs in", async (t) => {
  const stack = await startStack(appDir, {}, [amina]);
  t.after(() => stack.close());
  const app = await enableTotp(stack.server.url);
  const { page, errors } = await newTab();

  await page.goto(`${stack.origin}/sign-in`);
  await page.getByLabel("Username or email").fill(amina.email);
  await page.getByLabel("Password").fill(amina.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Two-step sign-in" }).waitFor();
  await screenshot(page, "two-step-sign-in.png");

  // A wrong code is INVALID_CREDENTIALS and the form stays.
  await page.getByLabel("Code").fill("000000");
  await page.getByRole("button", { name: "Continue" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.getAttribute("data-code"), "INVALID_CREDENTIALS");

  // The next period's code: the one that turned TOTP on cannot be used again.
  await page.getByLabel("Code").fill(app.generate({ timestamp: Date.now() + 30_000 }));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Your sessions" }).waitFor();
  assert.equal(await page.getByTestId("username").textContent(), "amina");
  assert.deepEqual(errors, []);
});

/** Turns TOTP on for amina from Node; the authenticator app that now has her secret. */
async function enableTotp(url: string) {
  const { accessToken } = await signInElsewhere(url, amina);
  const started = await graphql<{ startTotpEnrollment: { secret: string } }>(
    url,
    "mutation { startTotpEnrollment { secret } }",
    { accessToken },
  );
  const secret = started.data!.startTotpEnrollment.secret;
  const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  const confirmed = await graphql(url, "mutation($code: String!) { confirmTotpEnrollment(code: $code) { codes } }", {
    accessToken,
    variables: { code: app.generate() },
  });
  assert.equal(confirmed.errors, undefined);
  return app;
}
