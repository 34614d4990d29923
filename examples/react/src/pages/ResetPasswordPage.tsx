// The page of the emailed reset link: a new password, set by the button. A reset
// ends every session of the account, so a signed-in tab signs out (and tells the
// others).
import type { FormEvent } from "react";
import { useMutation } from "urql";

import { useSession } from "../auth/AuthProvider";
import { ErrorMessage } from "../ErrorMessage";
import { ConfirmPasswordResetDocument } from "../generated/graphql";
import { Link, useSearchParam } from "../router";

export function ResetPasswordPage() {
  const session = useSession();
  const token = useSearchParam("token");
  const [result, confirm] = useMutation(ConfirmPasswordResetDocument);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const answer = await confirm({
      input: {
        token: token!,
        newPassword: String(form.get("newPassword")),
        newPasswordConfirm: String(form.get("newPasswordConfirm")),
      },
    });
    if (answer.data?.confirmPasswordReset) session.signOut();
  }

  if (!token) return <p>This link has no token: open the one from the email.</p>;
  if (result.data?.confirmPasswordReset) {
    return (
      <>
        <h1>Password changed</h1>
        <p className="notice" role="status">
          Your new password is set, and every session of your account was signed out.
        </p>
        <Link to="/sign-in">Sign in</Link>
      </>
    );
  }
  return (
    <>
      <h1>Choose a new password</h1>
      <form onSubmit={onSubmit}>
        <label>
          New password{" "}
          <input name="newPassword" type="password" autoComplete="new-password" required />
        </label>
        <label>
          New password again{" "}
          <input name="newPasswordConfirm" type="password" autoComplete="new-password" required />
        </label>
        {/* WEAK_PASSWORD and PASSWORD_MISMATCH leave the link usable: try again. */}
        <ErrorMessage error={result.error} />
        <button type="submit" disabled={result.fetching}>
          Set new password
        </button>
      </form>
    </>
  );
}
