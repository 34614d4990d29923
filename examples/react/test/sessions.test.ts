// The sessions page, password reset from the mailed link, and sign-out across tabs, in
// headless Chromium against the live server. Screenshots go to artifacts/.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import type { Browser } from "playwright-core";

import {
  buildApp,
  launchBrowser,
  linkIn,
  removeDir,
  screenshot,
  signInOnPage,
  startStack,
} from "./harness";
import { graphql, signInElsewhere, type User } from "./server";

const amina: User = { username: "amina", email: "amina@example.dz", password: "plum orbit quartz lantern 7" };
const PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

let appDir: string;
let browser: Browser;

before(async () => {
  [appDir, browser] = await Promise.all([buildApp(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await removeDir(appDir);
});

async function newContext() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  const errors: Error[] = [];
  context.on("weberror", (error) => errors.push(error.error()));
  return { context, errors };
}

/** Whether an access token still works (a revoked session's stops at once). */
async function works(url: string, accessToken: string): Promise<boolean> {
  const { data } = await graphql(url, "{ me { id } }", { accessToken });
  return Boolean(data?.me);
}

test("the sessions page marks this device, revokes another, and logs out everywhere", async (t) => {
  const stack = await startStack(appDir, {}, [amina]);
  t.after(() => stack.close());
  const phone = await signInElsewhere(stack.server.url, amina, PHONE);
  const { context, errors } = await newContext();
  const page = await context.newPage();
  await signInOnPage(page, stack.origin, amina);

  const rows = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  const current = rows.filter({ hasText: "this device" });
  assert.equal(await current.count(), 1);
  assert.equal(await rows.first().getAttribute("data-session-id"), await current.getAttribute("data-session-id"));
  // The proxy's X-Forwarded-For, believed from TRUSTED_PROXIES: the browser's address.
  assert.match((await current.textContent()) ?? "", /127\.0\.0\.1/);
  assert.equal(await current.getByRole("button", { name: "Revoke" }).count(), 0, "this device signs out instead");
  const other = page.locator(`[data-session-id="${phone.sessionId}"]`);
  assert.match((await other.textContent()) ?? "", /iPhone|iOS|Safari/);
  await screenshot(page, "sessions.png");

  await other.getByRole("button", { name: "Revoke" }).click();
  await other.waitFor({ state: "detached" });
  assert.equal(await rows.count(), 1);
  assert.equal(await works(stack.server.url, phone.accessToken), false);

  const laptop = await signInElsewhere(stack.server.url, amina, "a laptop");
  await page.getByRole("button", { name: "Log out everywhere" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await works(stack.server.url, laptop.accessToken), false);
  const cookie = (await context.cookies()).find((c) => c.name === "refresh_token");
  assert.ok(!cookie?.value, "the server cleared the cookie");
  // Nothing restores it: a reload stays signed out.
  await page.reload();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.deepEqual(errors, []);
});

test("a password reset from the mailed link: reasons first, then every session ends", async (t) => {
  const stack = await startStack(appDir, {}, [amina]);
  t.after(() => stack.close());
  const phone = await signInElsewhere(stack.server.url, amina, PHONE);
  const { context, errors } = await newContext();
  const page = await context.newPage();

  await page.goto(`${stack.origin}/sign-in`);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(amina.email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await page.getByRole("status").filter({ hasText: "is on its way" }).waitFor();

  const link = linkIn((await stack.server.nextMail(amina.email)).text, "/reset-password");
  assert.equal(link.origin, stack.origin, "APP_URL: the link leads to the app");
  await page.goto(link.href);
  const newPassword = "violet harbour engine 42";
  const choose = async (password: string, again = password) => {
    await page.getByLabel("New password", { exact: true }).fill(password);
    await page.getByLabel("New password again").fill(again);
    await page.getByRole("button", { name: "Set new password" }).click();
  };

  // Refusals leave the link usable.
  await choose("amina");
  const alert = page.getByRole("alert");
  await alert.getByRole("listitem").first().waitFor();
  assert.equal(await alert.getAttribute("data-code"), "WEAK_PASSWORD");
  assert.ok((await alert.getByRole("listitem").count()) >= 2);
  await screenshot(page, "reset-password-weak.png");
  await choose(newPassword, "violet harbour engine 43");
  await page.locator('[data-code="PASSWORD_MISMATCH"]').waitFor();

  await choose(newPassword);
  await page.getByRole("status").filter({ hasText: "every session of your account was signed out" }).waitFor();
  await screenshot(page, "reset-password-done.png");
  assert.equal(await works(stack.server.url, phone.accessToken), false);

  // The old password no longer signs in; the new one does.
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("Username or email").fill(amina.username);
  await page.getByLabel("Password").fill(amina.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-code="INVALID_CREDENTIALS"]').waitFor();
  await signInOnPage(page, stack.origin, { ...amina, password: newPassword });
  assert.deepEqual(errors, []);
});

test("signing out in one tab signs out the others; signing in signs them in", async (t) => {
  const stack = await startStack(appDir, {}, [amina]);
  t.after(() => stack.close());
  const { context, errors } = await newContext();
  const first = await context.newPage();
  await signInOnPage(first, stack.origin, amina);

  // A second tab finds the session in the shared cookie: the same session, not a new one.
  const second = await context.newPage();
  await second.goto(`${stack.origin}/sessions`);
  await second.getByRole("heading", { name: "Your sessions" }).waitFor();
  const rows = second.getByRole("list", { name: "Sessions" }).getByRole("listitem");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);

  await first.getByRole("button", { name: "Sign out" }).click();
  await first.getByRole("heading", { name: "Sign in" }).waitFor();
  await second.getByRole("heading", { name: "Sign in" }).waitFor();
  await screenshot(second, "cross-tab-signed-out.png");

  // Signing in again in the second tab brings the first one back too.
  await second.getByLabel("Username or email").fill(amina.username);
  await second.getByLabel("Password").fill(amina.password);
  await second.getByRole("button", { name: "Sign in" }).click();
  await second.getByRole("heading", { name: "Your sessions" }).waitFor();
  await first.getByRole("heading", { name: "Your sessions" }).waitFor();
  assert.equal(await first.getByTestId("username").textContent(), "amina");

  await first.getByRole("button", { name: "Log out everywhere" }).click();
  await second.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.deepEqual(errors, []);
});

test("a session ended elsewhere signs the page out at its next request", async (t) => {
  const stack = await startStack(appDir, {}, [amina]);
  t.after(() => stack.close());
  const { context, errors } = await newContext();
  const page = await context.newPage();
  await signInOnPage(page, stack.origin, amina);
  await page.getByRole("list", { name: "Sessions" }).getByRole("listitem").first().waitFor();

  // Another device logs out everywhere: the page's access token stops working at once.
  const phone = await signInElsewhere(stack.server.url, amina, PHONE);
  const ended = await graphql(stack.server.url, "mutation { logoutAll }", { accessToken: phone.accessToken });
  assert.equal(ended.errors, undefined);

  // UNAUTHENTICATED → the exchange refreshes → the cookie's session is over too.
  await page.getByRole("button", { name: "Refresh" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.deepEqual(errors, []);
});
