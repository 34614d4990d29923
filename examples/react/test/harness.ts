// What the browser tests share: the app built once, served with `/graphql` proxied to
// a fresh server (the same-origin shape of README.md), and headless Chromium.
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";

import { chromium, type Browser, type Page, type Request } from "playwright-core";
import { build } from "vite";

import { startServer, type Server, type User } from "./server";

const ROOT = resolve(import.meta.dirname, "..");
const ARTIFACTS = join(ROOT, "artifacts");

/** Builds the app (vite.config.ts, production mode) into a temporary directory. */
export async function buildApp(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "graphql-auth-react-dist-"));
  await build({ root: ROOT, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  return outDir;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
}

export interface Stack {
  /** The app's origin, `http://127.0.0.1:PORT`: the page and its `/graphql`. */
  origin: string;
  server: Server;
  close(): Promise<void>;
}

/** The app on its own port, then the server told that origin, then the proxy pointed at
 * the server: the server must know the app's origin before it starts. */
export async function startStack(
  appDir: string,
  settings: Record<string, string> = {},
  users: User[] = [],
): Promise<Stack> {
  const app = await serveApp(appDir);
  const server = await startServer(
    {
      REFRESH_TOKEN_COOKIE: "true",
      // Same origin: the service's public address is the app's. Mail links go there
      // too (APP_URL), to this app's /verify-email and /reset-password pages.
      PUBLIC_URL: app.origin,
      APP_URL: app.origin,
      // The proxy says who the browser is with X-Forwarded-For.
      TRUSTED_PROXIES: "127.0.0.1/32",
      ...settings,
    },
    users,
  ).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  app.proxyTo(server.baseUrl);
  return {
    origin: app.origin,
    server,
    async close() {
      await app.close();
      await server.stop();
    },
  };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** What a production reverse proxy (nginx, Caddy) does: the built files, index.html for
 * any other path (the app routes), and `/graphql` forwarded untouched — Origin, Cookie
 * and Set-Cookie included — with X-Forwarded-For added. */
async function serveApp(dir: string) {
  let api: URL | undefined;
  const server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/graphql" || path.startsWith("/graphql/")) return forward(req, res);
    const file = extname(path) ? join(dir, path) : join(dir, "index.html");
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });

  function forward(req: IncomingMessage, res: ServerResponse) {
    if (!api) return void res.writeHead(503).end();
    const upstream = request(
      new URL(req.url ?? "/graphql", api),
      {
        method: req.method,
        headers: { ...req.headers, "x-forwarded-for": req.socket.remoteAddress ?? "" },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.headersSent || res.writeHead(502).end());
    req.pipe(upstream);
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    proxyTo(target: string) {
      api = new URL(target);
    },
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export async function removeDir(dir: string) {
  await rm(dir, { recursive: true, force: true });
}

export async function screenshot(page: Page, name: string) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** Whether a request the page sent is the `refresh` mutation. */
export function isRefresh(request: Request): boolean {
  return request.url().endsWith("/graphql") && (request.postData() ?? "").includes("mutation Refresh");
}

/** Counts the page's `refresh` requests from now on. */
export function countRefreshes(page: Page): { readonly count: number } {
  const counter = { count: 0 };
  page.on("request", (request) => {
    if (isRefresh(request)) counter.count += 1;
  });
  return counter;
}

/** The link of a mail (its path and query), e.g. `/verify-email?token=…`. */
export function linkIn(text: string, path: string): URL {
  const match = text.match(new RegExp(`\\S*${path}\\?token=[\\w.~-]+`));
  if (!match) throw new Error(`no ${path} link in:\n${text}`);
  return new URL(match[0]);
}

export async function signInOnPage(page: Page, origin: string, user: User) {
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Your sessions" }).waitFor();
}

/** Resolves once `condition()` holds, polling; throws after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
