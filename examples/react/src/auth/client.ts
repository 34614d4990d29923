// The urql client, with the refresh-once logic in urql's auth exchange: every request
// that needs a token waits while one refresh runs, and only one ever runs at a time.
import { authExchange } from "@urql/exchange-auth";
import { Client, cacheExchange, fetchExchange, type Operation } from "urql";

import { ErrorCode, errorCode } from "../errors";
import { MeDocument, RefreshDocument } from "../generated/graphql";
import type { Session } from "./session";

/** Root fields that need no access token. They get no `Authorization` header (an
 * expired token must not spoil a sign-in) and never wait for a refresh. */
const PUBLIC_FIELDS = new Set([
  "register",
  "login",
  "completeLogin",
  "refresh",
  "requestPasswordReset",
  "confirmPasswordReset",
  "verifyEmail",
]);

/** What `refresh` answers when the cookie's session is over: only a sign-in helps. */
const SESSION_OVER = new Set<ErrorCode | undefined>([
  ErrorCode.Unauthenticated,
  ErrorCode.InvalidToken,
  ErrorCode.TokenReused,
  ErrorCode.AccountDisabled,
]);

function isPublic(operation: Operation): boolean {
  return operation.query.definitions.every(
    (definition) =>
      definition.kind !== "OperationDefinition" ||
      definition.selectionSet.selections.every(
        (selection) => selection.kind === "Field" && PUBLIC_FIELDS.has(selection.name.value),
      ),
  );
}

/** `url` is the API on the page's own origin (see README: a proxy serves `/graphql`). */
export function createAuthClient(session: Session, url = "/graphql"): Client {
  return new Client({
    url,
    // The cookie goes with every request. Same-origin would be enough for the shape
    // this kit uses; "include" also covers an API on a sibling subdomain.
    fetchOptions: { credentials: "include" },
    // urql would send short queries as GET; POST keeps personal answers out of URLs,
    // access logs and HTTP caches.
    preferGetMethod: false,
    exchanges: [
      cacheExchange,
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = session.accessToken;
          if (!token || isPublic(operation)) return operation;
          return utils.appendHeaders(operation, { Authorization: `Bearer ${token}` });
        },
        // Before sending: no token yet (a new tab, a reload) or one about to expire.
        willAuthError(operation) {
          return !isPublic(operation) && session.needsRefresh();
        },
        // After: the server refused a token we thought good (a revoked session, a
        // laptop that slept). The exchange refreshes and retries the operation once.
        didAuthError(error, operation) {
          return !isPublic(operation) && errorCode(error) === ErrorCode.Unauthenticated;
        },
        // No argument: the server reads the HttpOnly cookie and sets its successor.
        async refreshAuth() {
          const result = await utils.mutate(RefreshDocument, {});
          if (result.data) {
            session.signIn(result.data.refresh);
            return;
          }
          if (SESSION_OVER.has(errorCode(result.error))) session.signOut();
          // Rejecting fails the waiting operations with this error instead of sending
          // them without a token. A rate limit or an outage keeps the session.
          throw result.error ?? new Error("refresh answered nothing");
        },
      })),
      fetchExchange,
    ],
  });
}

/** Signs this tab in from the refresh cookie, if it holds a live session: any query
 * that needs a token makes the auth exchange refresh first. Ends "restoring" either
 * way (a server that cannot be reached leaves the sign-in form). */
export async function restoreSession(client: Client, session: Session): Promise<void> {
  await client.query(MeDocument, {}, { requestPolicy: "network-only" }).toPromise();
  if (session.status === "restoring") session.signOut();
}
