// The pages, by path. Mail links lead to /verify-email and /reset-password (the
// server's APP_URL is this app), and work signed in or not.
import { useAuthStatus } from "./auth/AuthProvider";
import { ForgotPasswordPage } from "./pages/ForgotPasswordPage";
import { ResetPasswordPage } from "./pages/ResetPasswordPage";
import { SessionsPage } from "./pages/SessionsPage";
import { SignInPage } from "./pages/SignInPage";
import { SignUpPage } from "./pages/SignUpPage";
import { VerifyEmailPage } from "./pages/VerifyEmailPage";
import { Link, Redirect, usePath } from "./router";

export function App() {
  const status = useAuthStatus();
  const path = usePath();
  if (status === "restoring") return <p aria-busy="true">Loading…</p>;
  const signedIn = status === "signed-in";

  switch (path) {
    case "/verify-email":
      return <VerifyEmailPage />;
    case "/reset-password":
      return <ResetPasswordPage />;
    case "/forgot-password":
      return <ForgotPasswordPage />;
    case "/sign-up":
      return signedIn ? <Redirect to="/sessions" /> : <SignUpPage />;
    case "/sign-in":
      return signedIn ? <Redirect to="/sessions" /> : <SignInPage />;
    case "/":
    case "/sessions":
      return signedIn ? <SessionsPage /> : <SignInPage />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <Link to="/">Home</Link>
        </>
      );
  }
}
