import type { CombinedError } from "urql";

import { WEAKNESS_TEXT, errorCode, errorMessage, weakPasswordReasons } from "./errors";

/** An operation's error, with each `WEAK_PASSWORD` reason as a list item. */
export function ErrorMessage({ error }: { error: CombinedError | undefined }) {
  if (!error) return null;
  const reasons = weakPasswordReasons(error);
  return (
    <div className="error" role="alert" data-code={errorCode(error)}>
      <p>{errorMessage(error)}</p>
      {reasons.length > 0 && (
        <ul aria-label="What to change">
          {reasons.map((reason) => (
            <li key={reason}>{WEAKNESS_TEXT[reason] ?? reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
