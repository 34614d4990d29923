// Username or email and password; an account with two-step sign-in answers
// MFA_REQUIRED, and a second form takes the code for completeLogin.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";

import { useSession } from "../auth/AuthProvider";
import { ErrorMessage } from "../ErrorMessage";
import { secondFactorRequired } from "../errors";
import { CompleteLoginDocument, LoginDocument } from "../generated/graphql";
import { Link, navigate } from "../router";

export function SignInPage() {
  const session = useSession();
  const [login, sendLogin] = useMutation(LoginDocument);
  const [second, sendCode] = useMutation(CompleteLoginDocument);
  const [mfaToken, setMfaToken] = useState<string | null>(null);

  async function onSignIn(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await sendLogin({
      input: {
        username: String(form.get("username")),
        password: String(form.get("password")),
        rememberMe: form.get("rememberMe") === "on",
      },
    });
    const challenge = secondFactorRequired(result.error);
    if (challenge) setMfaToken(challenge.mfaToken);
    if (result.data) signedIn(result.data.login);
  }

  async function onCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get("code"));
    const result = await sendCode({ input: { mfaToken: mfaToken!, code } });
    if (result.data) signedIn(result.data.completeLogin);
  }

  function signedIn(payload: { accessToken: string; accessTokenExpiresAt: string }) {
    session.signIn(payload);
    navigate("/sessions");
  }

  if (mfaToken) {
    return (
      <>
        <h1>Two-step sign-in</h1>
        <form onSubmit={onCode}>
          <p>Enter the 6-digit code from your authenticator app, or a recovery code.</p>
          <label>
            Code <input name="code" autoComplete="one-time-code" required autoFocus />
          </label>
          <ErrorMessage error={second.error} />
          <button type="submit" disabled={second.fetching}>
            Continue
          </button>
        </form>
      </>
    );
  }
  return (
    <>
      <h1>Sign in</h1>
      <form onSubmit={onSignIn}>
        <label>
          Username or email <input name="username" autoComplete="username" required />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <label className="inline">
          <input name="rememberMe" type="checkbox" /> Keep me signed in
        </label>
        {/* MFA_REQUIRED is not a failure: it switches to the code form above. */}
        {!secondFactorRequired(login.error) && <ErrorMessage error={login.error} />}
        <button type="submit" disabled={login.fetching}>
          Sign in
        </button>
      </form>
      <nav>
        <Link to="/sign-up">Create an account</Link>
        <Link to="/forgot-password">Forgot your password?</Link>
      </nav>
    </>
  );
}
