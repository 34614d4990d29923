// Error handling typed from the schema: `extensions.code` is one of the `ErrorCode`
// enum's values (src/generated/schema.ts, from ../../schema.graphql).
import { CombinedError } from "urql";

import { ErrorCode } from "./generated/schema";

export { ErrorCode };

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Why the password policy refused a password: `extensions.reasons` of `WEAK_PASSWORD`.
 * The schema does not list these (they are strings in an extension), so they are
 * typed here from docs/errors.md; a reason added later still shows, as its code. */
export type PasswordWeakness =
  | "TOO_SHORT"
  | "TOO_LONG"
  | "SIMILAR_TO_USERNAME"
  | "SIMILAR_TO_EMAIL"
  | "TOO_COMMON";

type Extensions = Record<string, unknown>;

/** The first GraphQL error's extensions. A refresh that failed fails the operations
 * that waited for it with its own error as the network error: look inside that too. */
function extensionsOf(error: CombinedError | undefined): Extensions | undefined {
  if (!error) return undefined;
  if (error.networkError instanceof CombinedError) return extensionsOf(error.networkError);
  return error.graphQLErrors[0]?.extensions as Extensions | undefined;
}

/** The contract's code of an error, or undefined for a network failure or a code this
 * build of the kit does not know (a newer server). */
export function errorCode(error: CombinedError | undefined): ErrorCode | undefined {
  const code = extensionsOf(error)?.code;
  return typeof code === "string" && KNOWN_CODES.has(code) ? (code as ErrorCode) : undefined;
}

/** Each reason of a `WEAK_PASSWORD` error; empty for any other error. */
export function weakPasswordReasons(error: CombinedError | undefined): PasswordWeakness[] {
  if (errorCode(error) !== ErrorCode.WeakPassword) return [];
  const reasons = extensionsOf(error)?.reasons;
  return Array.isArray(reasons) ? reasons.map(String) as PasswordWeakness[] : [];
}

/** `extensions.mfaToken` and `extensions.methods` of `MFA_REQUIRED`, else undefined. */
export function secondFactorRequired(error: CombinedError | undefined) {
  if (errorCode(error) !== ErrorCode.MfaRequired) return undefined;
  const extensions = extensionsOf(error) ?? {};
  return {
    mfaToken: String(extensions.mfaToken),
    methods: Array.isArray(extensions.methods) ? extensions.methods.map(String) : [],
  };
}

/** A sentence for a person. The server's messages are written to be shown (no
 * internals, in the account's language); a few codes get the kit's own words. */
export function errorMessage(error: CombinedError): string {
  const code = errorCode(error);
  const retryAfter = Number(extensionsOf(error)?.retryAfterSeconds);
  const wait = Number.isFinite(retryAfter) ? ` Try again in ${Math.ceil(retryAfter / 60)} min.` : "";
  switch (code) {
    case ErrorCode.InvalidToken:
      return "This link has expired or was already used. Ask for a new one.";
    case ErrorCode.AccountLocked:
      return `Too many failed sign-ins: the account is locked for now.${wait}`;
    case ErrorCode.RateLimited:
      return `Too many attempts.${wait}`;
    case undefined:
      if (error.graphQLErrors.length === 0) return "The server cannot be reached. Try again.";
  }
  return error.graphQLErrors[0]?.message ?? error.message;
}

export const WEAKNESS_TEXT: Record<PasswordWeakness, string> = {
  TOO_SHORT: "Use at least 8 characters.",
  TOO_LONG: "Use at most 1024 bytes.",
  SIMILAR_TO_USERNAME: "Don't build it on your username.",
  SIMILAR_TO_EMAIL: "Don't build it on your email address.",
  TOO_COMMON: "It is too common or too easy to guess.",
};
