// Asks for a reset link. The answer is the same whether or not the address has an
// account, so the page says so without telling which.
import type { FormEvent } from "react";
import { useMutation } from "urql";

import { ErrorMessage } from "../ErrorMessage";
import { RequestPasswordResetDocument } from "../generated/graphql";
import { Link } from "../router";

export function ForgotPasswordPage() {
  const [result, request] = useMutation(RequestPasswordResetDocument);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void request({ email: String(new FormData(event.currentTarget).get("email")) });
  }

  return (
    <>
      <h1>Forgot your password?</h1>
      {result.data ? (
        <p className="notice" role="status">
          If an account uses {result.operation?.variables.email}, a link to choose a new
          password is on its way. It works once, for one hour.
        </p>
      ) : (
        <form onSubmit={onSubmit}>
          <label>
            Email <input name="email" type="email" autoComplete="email" required />
          </label>
          <ErrorMessage error={result.error} />
          <button type="submit" disabled={result.fetching}>
            Send me a link
          </button>
        </form>
      )}
      <nav>
        <Link to="/sign-in">Sign in</Link>
      </nav>
    </>
  );
}
