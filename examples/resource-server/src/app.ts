// The API itself: two routes, to show the two ways of trusting a token.
//   GET  /api/me       local verification only: fast, no call to the auth service, but a
//                      token stays good until it expires even if its session was revoked.
//   POST /api/payouts  local verification, then introspection: a revoked session is
//                      refused at once, for the price of one request to the auth service.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

import { CannotVerify, InvalidToken, type TokenVerifier } from "./tokens.ts";

export function createApp(verifier: TokenVerifier): Server {
  return createServer(async (req, res) => {
    try {
      const route = `${req.method} ${new URL(req.url ?? "/", "http://_").pathname}`;
      switch (route) {
        case "GET /api/me": {
          const claims = await verifier.verify(bearerToken(req));
          return json(res, 200, { sub: claims.sub, sid: claims.sid });
        }
        case "POST /api/payouts": {
          const token = bearerToken(req);
          // Local first: a forged or expired token never costs the auth service a request.
          const claims = await verifier.verify(token);
          await verifier.checkStillActive(token);
          return json(res, 202, { status: "accepted", sub: claims.sub });
        }
        default:
          return json(res, 404, { error: "not_found" });
      }
    } catch (error) {
      return refuse(res, error);
    }
  });
}

class MissingToken extends Error {}

function bearerToken(req: IncomingMessage): string {
  const match = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? "");
  if (!match) throw new MissingToken();
  return match[1]!;
}

/** RFC 6750 §3: 401 with a `WWW-Authenticate: Bearer` challenge. */
function refuse(res: ServerResponse, error: unknown) {
  if (error instanceof MissingToken) {
    // No credentials at all: the challenge carries no error code (RFC 6750 §3.1).
    res.setHeader("www-authenticate", "Bearer");
    return json(res, 401, { error: "unauthorized" });
  }
  if (error instanceof InvalidToken) {
    // Clients read `invalid_token` as "refresh the access token, or sign in again".
    res.setHeader("www-authenticate", 'Bearer error="invalid_token"');
    return json(res, 401, { error: "invalid_token" });
  }
  if (error instanceof CannotVerify) {
    // Not the client's fault, and not a reason to sign the user out: try again later.
    console.error(`cannot verify: ${error.message}: ${String(error.cause ?? "")}`);
    res.setHeader("retry-after", "5");
    return json(res, 503, { error: "temporarily_unavailable" });
  }
  console.error(error);
  return json(res, 500, { error: "internal" });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}
