// How an API checks graphql-auth's access tokens without sharing any secret with it:
// the public keys come from the JWKS that the discovery document names, and every
// check happens here, in memory. Only `checkStillActive` asks the auth service.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";

/** What `GET ${AUTH_URL}/.well-known/openid-configuration` tells us. */
export interface Discovery {
  issuer: string;
  jwks_uri: string;
  /** Present when the auth service runs with `INTROSPECTION_TOKEN` set. */
  introspection_endpoint?: string;
}

export interface VerifierOptions {
  /** The auth service's base URL, e.g. `http://localhost:8000`. */
  authUrl: string;
  /** The `aud` our tokens must carry: the auth service's `JWT_AUDIENCE`. */
  audience?: string;
  /** The auth service's `INTROSPECTION_TOKEN`, for `checkStillActive`. */
  introspectionToken?: string;
  /** How long introspection may take before we give up (and refuse). */
  introspectionTimeoutMs?: number;
}

/** A verified access token's claims. */
export interface AccessClaims {
  /** The user's id. */
  sub: string;
  /** The session's id: what `logout` or `revokeSession` ends. */
  sid: string;
  exp: number;
}

/** The token is not one we accept: answer 401. */
export class InvalidToken extends Error {}

/** We cannot tell right now (keys or introspection unreachable): answer 503, never 200. */
export class CannotVerify extends Error {}

export class TokenVerifier {
  private constructor(
    private readonly discovery: Discovery,
    private readonly jwks: ReturnType<typeof createRemoteJWKSet>,
    private readonly options: VerifierOptions,
  ) {}

  /** Reads the discovery document once, at start. */
  static async discover(options: VerifierOptions): Promise<TokenVerifier> {
    const url = new URL("/.well-known/openid-configuration", options.authUrl);
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const discovery = (await response.json()) as Discovery;
    if (!discovery.issuer || !discovery.jwks_uri) {
      throw new Error(`${url}: no issuer or jwks_uri`);
    }
    // jose keeps the keys in memory and fetches them again only when they are older
    // than cacheMaxAge (10 min), or when a token names a `kid` it has not seen (a key
    // was rotated in) — at most once per cooldownDuration (30 s), so a flood of tokens
    // with made-up kids cannot turn into a flood of requests to the auth service.
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    return new TokenVerifier(discovery, jwks, options);
  }

  get issuer(): string {
    return this.discovery.issuer;
  }

  /**
   * Verifies a token locally: signature, `iss`, `aud`, `exp`, and that it is an access
   * token. Says nothing about whether its session was revoked since it was issued.
   */
  async verify(token: string): Promise<AccessClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.discovery.issuer,
        audience: this.options.audience ?? "graphql-auth",
        // Pinned: the token's own `alg` header never chooses how it is checked. HS256
        // is absent on purpose: its key is a shared secret no other service should hold.
        algorithms: ["EdDSA", "ES256"],
        // jose checks `exp` only when it is present; a token without one must not
        // live forever.
        requiredClaims: ["exp", "sub", "sid"],
        clockTolerance: 5,
      }));
    } catch (error) {
      throw keysUnavailable(error)
        ? new CannotVerify("the signing keys could not be fetched", { cause: error })
        : new InvalidToken("invalid token", { cause: error });
    }
    // Refresh and one-time tokens are not JWTs today, but the claim is what says so.
    if (payload.token_type !== "access" || typeof payload.sid !== "string") {
      throw new InvalidToken("not an access token");
    }
    return { sub: payload.sub!, sid: payload.sid, exp: payload.exp! };
  }

  /**
   * Asks the auth service whether the token's session is still live (RFC 7662
   * introspection). One request per call: use it where a revocation must count at
   * once, not on every request.
   */
  async checkStillActive(token: string): Promise<void> {
    const endpoint = this.discovery.introspection_endpoint;
    const secret = this.options.introspectionToken;
    if (!endpoint || !secret) throw new CannotVerify("introspection is not configured");
    let answer: { active?: unknown };
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}` },
        body: new URLSearchParams({ token }), // sent as application/x-www-form-urlencoded
        signal: AbortSignal.timeout(this.options.introspectionTimeoutMs ?? 2_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      answer = (await response.json()) as { active?: unknown };
    } catch (error) {
      // Fail closed: a slow or unreachable auth service must not let a revoked token by.
      throw new CannotVerify("introspection failed", { cause: error });
    }
    if (answer.active !== true) throw new InvalidToken("the session is no longer active");
  }
}

/** Errors that say nothing about the token: the JWKS could not be fetched or read. */
function keysUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true; // e.g. connection refused
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error.code === "ERR_JOSE_GENERIC" // a non-200 answer from the JWKS URL
  );
}
