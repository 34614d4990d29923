# The `message` of the API's errors, in English. The code in `extensions.code` is what
# programs read; these are for people.

## Signing in and sessions

error-unauthenticated = Sign in to continue.
error-forbidden = You are not allowed to do this.
error-email-not-verified = Verify your email address first: follow the link we sent you.
error-internal = Something went wrong on our side. Please try again.
error-invalid-credentials = The username, email or password is incorrect.
error-account-locked = Too many failed sign-in attempts. Try again later.
error-rate-limited = Too many requests. Please wait a moment and try again.
error-account-disabled = This account is disabled.
error-invalid-token = This token is invalid, expired or already used.
error-token-reused = This refresh token was already used; the session has been ended for safety.
error-not-found = Not found.
# $minutes: how recent a sign-in must be to skip the password.
error-reauthenticate = Enter your password to continue: this session signed in more than { $minutes } minutes ago.

## Passwords

error-weak-password = Choose a stronger password.
error-password-mismatch = The two passwords do not match.
# $max: a number of bytes.
error-password-too-long = A password has at most { $max } bytes.
# The reasons of a WEAK_PASSWORD error, as the pages show them.
weak-password-too-short = It is too short: use at least { $min } characters.
weak-password-too-long = It is too long.
weak-password-similar-to-username = It contains your username.
weak-password-similar-to-email = It contains your email address.
weak-password-too-common = It is too common, or too easy to guess.

## Two-step sign-in and passkeys

error-mfa-required = Enter the code from your authenticator app, or a recovery code.
error-invalid-code = This code is incorrect or was already used.
error-totp-already-enabled = Two-step sign-in is already on. Turn it off first to set up another authenticator.
error-totp-not-enrolling = Start setting up two-step sign-in first (startTotpEnrollment).
error-totp-not-enabled = Two-step sign-in is not on.
error-totp-code-mismatch = This code does not match. Check the time on your device and enter the current code.
error-totp-code-format = Enter the 6-digit code from your authenticator app.
error-second-factor-code-format = Enter the 6-digit code from your authenticator app, or one of your recovery codes.
error-passkeys-off = Passkeys are not set up on this server (WEBAUTHN_RP_ID).
error-too-many-passkeys = This account has as many passkeys as it may hold: remove one first.
error-passkey-unverified = This passkey could not be verified. Try again from the page that asked for it.
error-passkey-registered = This passkey is registered already.
error-passkey-credential-format = Send JSON.stringify() of the credential that navigator.credentials returned.

## Account details

# $min, $max: numbers of characters.
error-username-length = A username has { $min } to { $max } characters.
error-username-characters = A username may contain only letters, digits and . _ - +
error-username-taken = This username is already taken.
error-email-invalid = Enter a valid email address.
error-email-ascii = Enter the address in plain ASCII letters (international domains in their xn-- form).
error-email-taken = An account already uses this email address.
error-email-unchanged = This is already the account's address.
# $max: a number of characters.
error-language = Enter a language tag of at most { $max } characters, such as fr, en, ar or en-GB.
error-timezone = Enter an IANA time zone such as Africa/Algiers.

## Lists and staff

# $max: the largest page.
error-page-size = Ask for 0 to { $max } items at a time.
error-unknown-cursor = Unknown cursor.
error-unknown-user-id = Unknown user id.
error-deactivate-self = Staff cannot deactivate their own account.
error-deactivate-staff = A staff account cannot be deactivated.

## Requests refused before GraphQL runs

error-not-json = Send GraphQL requests as JSON with Content-Type: application/json.
error-body-not-graphql = The request body is not a valid GraphQL request in JSON.
error-query-missing = A GraphQL request needs a non-empty `query`.
error-batch-too-large = This batch holds more operations than the server accepts at once.
error-get-parameters = Pass the query in the `query` parameter; `variables` must be JSON.
error-get-mutation = Mutations must be sent with POST.
error-cookie-origin = This origin may not call the API while sessions live in cookies.
error-cookie-twice = This request carries the session cookie more than once.
error-cookie-no-origin = A request carrying the session cookie must say its Origin.

## About the document itself: for the developer writing it. $detail stays in English.

error-document = { $detail }
