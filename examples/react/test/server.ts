// Starts the real graphql-auth binary for one test: a fresh temporary DATA_DIR (so a
// fresh SQLite database), port 0, and the address read back from its JSON log. Without
// SMTP_URL the server writes each mail to that log; `nextMail` reads them back.
// (Adapted from examples/web/test/server.ts.)
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

export const BINARY = resolve(
  process.env.GRAPHQL_AUTH_BIN ?? join(import.meta.dirname, "../../../target/debug/graphql-auth"),
);

export interface User {
  username: string;
  email: string;
  password: string;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Server {
  /** The GraphQL endpoint, `http://127.0.0.1:PORT/graphql`. */
  url: string;
  /** The service's root, `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** The next mail to `to` not taken yet, as soon as the server writes it. */
  nextMail(to: string, timeoutMs?: number): Promise<Mail>;
  stop(): Promise<void>;
}

const MAIL_LOGGED = "mail written to the log instead of sent (SMTP_URL is unset)";

/** Starts a server with `settings` on top of test defaults (rate limits off), after
 * creating `users` with the `create-user` command. */
export async function startServer(
  settings: Record<string, string> = {},
  users: User[] = [],
): Promise<Server> {
  const dataDir = await mkdtemp(join(tmpdir(), "graphql-auth-react-"));
  // Only what we choose: a developer's or CI's own DATABASE_URL must not leak in.
  const env = {
    PATH: process.env.PATH ?? "",
    APP_ENV: "development",
    DATA_DIR: dataDir,
    BIND_ADDR: "127.0.0.1:0",
    LOG_FORMAT: "json",
    RUST_LOG: "info",
    RATE_LIMIT_LOGIN: "off",
    RATE_LIMIT_REFRESH: "off",
    RATE_LIMIT_REGISTER: "off",
    ...settings,
  };
  for (const user of users) await createUser(env, dataDir, user);

  // The working directory is the temporary one, so no stray .env file is read.
  const child = spawn(BINARY, ["serve"], { env, cwd: dataDir, stdio: ["ignore", "ignore", "pipe"] });
  const log: string[] = [];
  const mails: Mail[] = [];
  const mailWaiters = new Set<() => void>();
  const address = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr }).on("line", (line) => {
      log.push(line);
      const event = parseLine(line);
      if (event?.message === "listening") resolve(String(event.addr));
      if (event?.message === MAIL_LOGGED) {
        mails.push({ to: String(event.to), subject: String(event.subject), text: String(event.text) });
        for (const wake of mailWaiters) wake();
      }
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`graphql-auth exited (${code}) before listening:\n${log.join("\n")}`)),
    );
  });
  const addr = await withTimeout(address, 20_000, "graphql-auth did not start listening").catch(
    (error: unknown) => {
      child.kill("SIGKILL");
      throw error;
    },
  );

  async function nextMail(to: string, timeoutMs = 10_000): Promise<Mail> {
    const take = () => {
      const index = mails.findIndex((mail) => mail.to === to);
      return index === -1 ? undefined : mails.splice(index, 1)[0];
    };
    const arrived = new Promise<Mail>((resolve) => {
      const check = () => {
        const mail = take();
        if (!mail) return;
        mailWaiters.delete(check);
        resolve(mail);
      };
      mailWaiters.add(check);
      check();
    });
    return withTimeout(arrived, timeoutMs, `no mail to ${to} within ${timeoutMs} ms`);
  }

  return {
    url: `http://${addr}/graphql`,
    baseUrl: `http://${addr}`,
    nextMail,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function createUser(env: Record<string, string>, cwd: string, user: User) {
  const args = ["create-user", "--username", user.username, "--email", user.email];
  const child = spawn(BINARY, args, { env, cwd, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdin.end(`${user.password}\n`);
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`graphql-auth ${args.join(" ")} failed (${code}):\n${stderr}`);
}

/** One line of LOG_FORMAT=json: an event's fields are beside its `message`. */
function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface GraphqlResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** One GraphQL request from Node, as another device would send it: no `Origin`, no
 * cookie, so even in cookie mode its tokens travel in the body. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  { accessToken, variables, userAgent }: { accessToken?: string; variables?: object; userAgent?: string } = {},
): Promise<GraphqlResponse<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(accessToken && { authorization: `Bearer ${accessToken}` }),
      ...(userAgent && { "user-agent": userAgent }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphqlResponse<T>;
}

/** Signs `user` in from Node (another device); its access token and session id. */
export async function signInElsewhere(url: string, user: User, userAgent = "node") {
  const { data, errors } = await graphql<{
    login: { accessToken: string; session: { id: string } };
  }>(url, "mutation($input: LoginInput!) { login(input: $input) { accessToken session { id } } }", {
    variables: { input: { username: user.username, password: user.password } },
    userAgent,
  });
  if (!data) throw new Error(`login failed: ${JSON.stringify(errors)}`);
  return { accessToken: data.login.accessToken, sessionId: data.login.session.id };
}
