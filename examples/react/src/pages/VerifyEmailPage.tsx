// The page of the emailed verification link. Opening it does nothing: mail scanners
// open links. The person's click on the button verifies.
import { useMutation } from "urql";

import { ErrorMessage } from "../ErrorMessage";
import { VerifyEmailDocument } from "../generated/graphql";
import { Link, useSearchParam } from "../router";

export function VerifyEmailPage() {
  const token = useSearchParam("token");
  const [result, verify] = useMutation(VerifyEmailDocument);

  if (!token) return <p>This link has no token: open the one from the email.</p>;
  const verified = result.data?.verifyEmail;
  return (
    <>
      <h1>Verify your email address</h1>
      {verified ? (
        <p className="notice" role="status">
          {verified.email} is verified.
        </p>
      ) : (
        <div className="actions">
          <button type="button" disabled={result.fetching} onClick={() => verify({ token })}>
            Verify my email address
          </button>
        </div>
      )}
      <ErrorMessage error={result.error} />
      <nav>
        <Link to="/">Continue</Link>
      </nav>
    </>
  );
}
