// A new account. WEAK_PASSWORD lists every reason, PASSWORD_MISMATCH and
// BAD_USER_INPUT come with the server's message; success signs in (the cookie is set).
import type { FormEvent } from "react";
import { useMutation } from "urql";

import { useSession } from "../auth/AuthProvider";
import { ErrorMessage } from "../ErrorMessage";
import { RegisterDocument } from "../generated/graphql";
import { Link, navigate } from "../router";

export function SignUpPage() {
  const session = useSession();
  const [register, sendRegister] = useMutation(RegisterDocument);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await sendRegister({
      input: {
        username: String(form.get("username")),
        email: String(form.get("email")),
        password: String(form.get("password")),
        passwordConfirm: String(form.get("passwordConfirm")),
        // Mail and messages in the browser's language (the server falls back to French).
        language: navigator.language.slice(0, 10),
      },
    });
    if (result.data) {
      session.signIn(result.data.register);
      navigate("/sessions");
    }
  }

  return (
    <>
      <h1>Create an account</h1>
      <form onSubmit={onSubmit}>
        <label>
          Username <input name="username" autoComplete="username" required />
        </label>
        <label>
          Email <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="new-password" required />
        </label>
        <label>
          Password again{" "}
          <input name="passwordConfirm" type="password" autoComplete="new-password" required />
        </label>
        <ErrorMessage error={register.error} />
        <button type="submit" disabled={register.fetching}>
          Create account
        </button>
      </form>
      <nav>
        <Link to="/sign-in">I have an account</Link>
      </nav>
    </>
  );
}
