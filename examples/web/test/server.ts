// Starts the real graphql-auth binary for one test: a fresh temporary DATA_DIR (so a
// fresh SQLite database), port 0, and the address read back from its JSON log.
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

export interface Server {
  /** The GraphQL endpoint, `http://127.0.0.1:PORT/graphql`. */
  url: string;
  /** The service's root, `http://127.0.0.1:PORT`, for its other routes. */
  baseUrl: string;
  /** Its JSON log lines so far: in development, mail is written there. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts a server with `settings` on top of test defaults (rate limits off), after
 * creating `users` with the `create-user` command. */
export async function startServer(
  settings: Record<string, string> = {},
  users: User[] = [],
): Promise<Server> {
  const dataDir = await mkdtemp(join(tmpdir(), "graphql-auth-web-"));
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
  const address = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr }).on("line", (line) => {
      log.push(line);
      const event = parseLine(line);
      if (event?.message === "listening") resolve(String(event.addr));
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
  return {
    url: `http://${addr}/graphql`,
    baseUrl: `http://${addr}`,
    logs: () => log.map(parseLine).filter((event) => event !== undefined),
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
  await runCommand(args, env, cwd, `${user.password}\n`);
}

/** Runs one of the binary's other commands (`graphql-auth ARGS…`) to completion, with
 * `env` only and `input` on its standard input; throws with its stderr if it fails. */
export async function runCommand(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  input = "",
) {
  const child = spawn(BINARY, args, { env, cwd, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdin.end(input);
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

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface GraphqlResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Sends one GraphQL request the plain way, for checks the client does not cover. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  accessToken?: string,
): Promise<GraphqlResponse<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(accessToken && { authorization: `Bearer ${accessToken}` }),
    },
    body: JSON.stringify({ query }),
  });
  // Typed by the caller; without the DOM's typings (a Node project), json() is unknown.
  return (await response.json()) as GraphqlResponse<T>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
