// A small typed client for graphql-auth: it signs in, keeps the tokens, refreshes the
// access token once before it expires, and manages the caller's sessions.
import {
  CompleteLoginDocument,
  ConfirmTotpEnrollmentDocument,
  FinishPasskeyLoginDocument,
  FinishPasskeyRegistrationDocument,
  LoginDocument,
  LogoutAllDocument,
  LogoutDocument,
  MeDocument,
  RefreshDocument,
  RemovePasskeyDocument,
  RevokeSessionDocument,
  SecondFactorsDocument,
  SessionsDocument,
  StartPasskeyLoginDocument,
  StartPasskeyRegistrationDocument,
  StartTotpEnrollmentDocument,
  type LoginInput,
  type TokensFragment,
  type TypedDocumentString,
} from "./generated/graphql";

export type Tokens = TokensFragment;

/** Where the tokens live. The client reads it before every request, so tabs that share
 * a store (localStorage) pick up each other's refreshes instead of refreshing again. */
export interface TokenStore {
  get(): Tokens | null;
  set(tokens: Tokens | null): void;
}

export function memoryStore(): TokenStore {
  let tokens: Tokens | null = null;
  return { get: () => tokens, set: (next) => void (tokens = next) };
}

export function webStorageStore(storage: Storage, key = "graphql-auth.tokens"): TokenStore {
  return {
    get: () => JSON.parse(storage.getItem(key) ?? "null") as Tokens | null,
    set: (tokens) =>
      tokens ? storage.setItem(key, JSON.stringify(tokens)) : storage.removeItem(key),
  };
}

/** A GraphQL error, with the contract's `extensions.code`. Its message is safe to show. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** What `login` of an account with two-step sign-in answers: no session yet, finish
 * with `completeLogin(mfaToken, code)` — or with a passkey when `methods` has one. */
export class SecondFactorRequired extends ApiError {
  constructor(
    message: string,
    readonly mfaToken: string,
    readonly methods: string[],
  ) {
    super(message, "MFA_REQUIRED");
    this.name = "SecondFactorRequired";
  }
}

/** A WebAuthn ceremony the server started: `options` is JSON of `{ publicKey }`. */
export interface PasskeyChallenge {
  challengeId: string;
  options: string;
}

/** Refresh answers meaning the session is over: only signing in again helps. */
const SESSION_OVER = new Set(["INVALID_TOKEN", "TOKEN_REUSED", "UNAUTHENTICATED"]);

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `http://localhost:8000/graphql`. */
  url: string;
  store?: TokenStore;
  /** Refresh when the access token has less than this left. Default: one minute. */
  refreshMarginMs?: number;
  fetch?: typeof fetch;
  /** Called when the session has ended under the client (revoked, expired, reused). */
  onSignedOut?: (reason: ApiError) => void;
}

type GraphQLBody<T> = {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};

export class AuthClient {
  readonly #url: string;
  readonly #store: TokenStore;
  readonly #margin: number;
  readonly #fetch: typeof fetch;
  readonly #onSignedOut: (reason: ApiError) => void;
  /** The refresh under way, shared by every request that needs it. */
  #refreshing: Promise<Tokens> | null = null;

  constructor(options: ClientOptions) {
    this.#url = options.url;
    this.#store = options.store ?? memoryStore();
    this.#margin = options.refreshMarginMs ?? 60_000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#onSignedOut = options.onSignedOut ?? (() => {});
  }

  get isSignedIn(): boolean {
    return this.#store.get() !== null;
  }

  async login(input: LoginInput) {
    const { login } = await this.#send(LoginDocument, { input });
    const { user, session, ...tokens } = login;
    this.#store.set(tokens);
    return { user, session };
  }

  /** The second step of a sign-in that threw `SecondFactorRequired`: a code from the
   * authenticator app, or a recovery code. */
  async completeLogin(mfaToken: string, code: string) {
    const { completeLogin } = await this.#send(CompleteLoginDocument, {
      input: { mfaToken, code },
    });
    this.#store.set(completeLogin);
  }

  async me() {
    return (await this.#authed(MeDocument, {})).me;
  }

  /** Whether TOTP is on, recovery codes left, and the passkeys. */
  async secondFactors() {
    return (await this.#authed(SecondFactorsDocument, {})).me;
  }

  /** A fresh TOTP secret and its `otpauth://` URI (for a QR code); `password` is needed
   * when the session signed in more than 5 minutes ago. */
  async startTotpEnrollment(password?: string) {
    return (await this.#authed(StartTotpEnrollmentDocument, { password })).startTotpEnrollment;
  }

  /** Turns TOTP on with the app's current code; the recovery codes, to show once. */
  async confirmTotpEnrollment(code: string): Promise<string[]> {
    return (await this.#authed(ConfirmTotpEnrollmentDocument, { code })).confirmTotpEnrollment
      .codes;
  }

  async startPasskeyRegistration(password?: string): Promise<PasskeyChallenge> {
    return (await this.#authed(StartPasskeyRegistrationDocument, { password }))
      .startPasskeyRegistration;
  }

  /** `credential`: `JSON.stringify` of what `navigator.credentials.create()` returned. */
  async finishPasskeyRegistration(challengeId: string, credential: string) {
    return (
      await this.#authed(FinishPasskeyRegistrationDocument, {
        input: { challengeId, credential },
      })
    ).finishPasskeyRegistration;
  }

  async removePasskey(id: string): Promise<boolean> {
    return (await this.#authed(RemovePasskeyDocument, { id })).removePasskey;
  }

  /** Without a username, any passkey of this site the device holds may answer. */
  async startPasskeyLogin(username?: string): Promise<PasskeyChallenge> {
    return (await this.#send(StartPasskeyLoginDocument, { username })).startPasskeyLogin;
  }

  /** `credential`: `JSON.stringify` of what `navigator.credentials.get()` returned. */
  async finishPasskeyLogin(challengeId: string, credential: string, rememberMe = false) {
    const { finishPasskeyLogin } = await this.#send(FinishPasskeyLoginDocument, {
      input: { challengeId, credential, rememberMe },
    });
    this.#store.set(finishPasskeyLogin);
  }

  /** The caller's active sessions, the current one first and marked `current`. */
  async sessions() {
    return (await this.#authed(SessionsDocument, {})).sessions;
  }

  async revokeSession(id: string) {
    return (await this.#authed(RevokeSessionDocument, { id })).revokeSession;
  }

  /** Ends this session. The tokens are dropped even if the server cannot be reached. */
  async logout(): Promise<void> {
    try {
      await this.#authed(LogoutDocument, {});
    } finally {
      this.#store.set(null);
    }
  }

  /** Ends every session of the account, this one included; returns how many ended. */
  async logoutAll(): Promise<number> {
    const { logoutAll } = await this.#authed(LogoutAllDocument, {});
    this.#store.set(null);
    return logoutAll;
  }

  /** Sends an operation as the signed-in user, with an access token that is not about
   * to expire. If the server refuses a token our clock thought fresh (a skewed clock, a
   * laptop that slept), one refresh and one retry. */
  async #authed<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    let tokens = this.#store.get();
    if (!tokens) throw new ApiError("Sign in first.", "UNAUTHENTICATED");
    if (Date.parse(tokens.accessTokenExpiresAt) - Date.now() < this.#margin) {
      tokens = await this.#refresh(tokens.accessToken);
    }
    try {
      return await this.#send(document, variables, tokens.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "UNAUTHENTICATED")) throw error;
      const fresh = await this.#refresh(tokens.accessToken);
      return this.#send(document, variables, fresh.accessToken);
    }
  }

  /** Replaces the access token `stale`, at most one refresh at a time: callers arriving
   * while one runs share it, and callers arriving after it find `stale` already gone. */
  #refresh(stale: string): Promise<Tokens> {
    this.#refreshing ??= this.#rotate(stale).finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #rotate(stale: string): Promise<Tokens> {
    const current = this.#store.get();
    if (!current) throw new ApiError("Sign in first.", "UNAUTHENTICATED");
    if (current.accessToken !== stale) return current;
    // This client keeps tokens in the body; a null one means cookie mode, not ours.
    const refreshToken = current.refreshToken;
    if (!refreshToken) throw new ApiError("Sign in first.", "UNAUTHENTICATED");
    try {
      const { refresh } = await this.#send(RefreshDocument, { refreshToken });
      this.#store.set(refresh);
      return refresh;
    } catch (error) {
      if (error instanceof ApiError && SESSION_OVER.has(error.code)) {
        this.#store.set(null);
        this.#onSignedOut(error);
      }
      throw error;
    }
  }

  async #send<R, V>(document: TypedDocumentString<R, V>, variables: V, accessToken?: string) {
    const response = await this.#fetch(this.#url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        ...(accessToken && { authorization: `Bearer ${accessToken}` }),
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    const body = (await response.json().catch(() => null)) as GraphQLBody<R> | null;
    const [error] = body?.errors ?? [];
    if (error) {
      const extensions = error.extensions ?? {};
      if (extensions.code === "MFA_REQUIRED") {
        const methods = (extensions.methods as string[] | undefined) ?? [];
        throw new SecondFactorRequired(error.message, String(extensions.mfaToken), methods);
      }
      throw new ApiError(error.message, String(extensions.code ?? "INTERNAL"), extensions);
    }
    if (!response.ok || !body?.data) {
      throw new ApiError(`The server answered ${response.status}.`, "INTERNAL");
    }
    return body.data;
  }
}
