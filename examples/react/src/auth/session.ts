// This tab's sign-in: the access token, in memory only, and whether we are signed in.
// The refresh token is never here: the server keeps it in an HttpOnly cookie that no
// script can read, so a cross-site script has no long-lived token to steal.

export type AuthStatus = "restoring" | "signed-in" | "signed-out";

/** What this tab tells the others over a BroadcastChannel. */
type TabMessage = "signed-in" | "signed-out";

interface AccessToken {
  value: string;
  /** Local clock time after which the token is refreshed before it is used. */
  staleAt: number;
}

/** Refresh when a quarter of the token's life, at most 30 s, is left. */
const MAX_MARGIN_MS = 30_000;

export class Session {
  #token: AccessToken | null = null;
  #status: AuthStatus = "restoring";
  #listeners = new Set<() => void>();
  #channel: BroadcastChannel | null = null;
  /** Called when another tab signed in while this one is signed out. */
  onSignedInElsewhere: () => void = () => {};

  get status(): AuthStatus {
    return this.#status;
  }

  get accessToken(): string | null {
    return this.#token?.value ?? null;
  }

  /** No token, or one about to expire: the auth exchange refreshes before sending. */
  needsRefresh(): boolean {
    return this.#token === null || Date.now() >= this.#token.staleAt;
  }

  /** A sign-in or refresh answered: keep its access token. */
  signIn(payload: { accessToken: string; accessTokenExpiresAt: string }) {
    this.#token = { value: payload.accessToken, staleAt: staleAt(payload) };
    this.#setStatus("signed-in");
  }

  /** The session ended (logout, revoked, a dead refresh cookie): forget the token. */
  signOut() {
    this.#token = null;
    this.#setStatus("signed-out");
  }

  /** For useSyncExternalStore. */
  subscribe = (listener: () => void) => {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  };

  /** Tabs share the cookie, so they share the session: when one signs out, the others
   * drop their access tokens too; when one signs in, signed-out tabs restore from the
   * cookie. Returns the function that stops listening. */
  connectTabs(name = "graphql-auth"): () => void {
    const channel = new BroadcastChannel(name);
    channel.onmessage = ({ data }: MessageEvent<TabMessage>) => {
      if (data === "signed-out" && this.#status !== "signed-out") {
        this.#token = null;
        this.#setStatus("signed-out", { fromOtherTab: true });
      } else if (data === "signed-in" && this.#status === "signed-out") {
        this.onSignedInElsewhere();
      }
    };
    this.#channel = channel;
    return () => {
      channel.close();
      if (this.#channel === channel) this.#channel = null;
    };
  }

  #setStatus(next: AuthStatus, { fromOtherTab = false } = {}) {
    const previous = this.#status;
    if (previous === next) return;
    this.#status = next;
    // Tell the other tabs about a sign-in, or the end of one; a tab that found no
    // session when it opened has nothing to tell.
    const message: TabMessage | null =
      next === "signed-in" ? "signed-in" : previous === "signed-in" ? "signed-out" : null;
    if (message && !fromOtherTab) this.#channel?.postMessage(message);
    for (const listener of this.#listeners) listener();
  }
}

/** When to refresh, on this device's clock. The token's lifetime comes from its own
 * `iat` and `exp` (the server's clock), counted from now: a device whose clock is
 * minutes off neither refreshes on every request nor sends expired tokens. */
function staleAt(payload: { accessToken: string; accessTokenExpiresAt: string }): number {
  const lifetime =
    jwtLifetimeMs(payload.accessToken) ?? Date.parse(payload.accessTokenExpiresAt) - Date.now();
  return Date.now() + lifetime - Math.min(MAX_MARGIN_MS, lifetime / 4);
}

function jwtLifetimeMs(jwt: string): number | undefined {
  try {
    const claims = JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    const lifetime = (Number(claims.exp) - Number(claims.iat)) * 1000;
    return Number.isFinite(lifetime) && lifetime > 0 ? lifetime : undefined;
  } catch {
    return undefined;
  }
}
