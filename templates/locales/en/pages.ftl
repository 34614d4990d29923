# The pages this service shows for the links in its mail (when APP_URL is the service
# itself). Each completes its step with a button: opening a link never uses it up.

page-footer = { $product }
page-link-broken = This link is invalid, expired or already used. Ask the app for a new one.
page-link-incomplete = This link is incomplete: open it again from the message, whole.

## /verify-email

page-verify-email-title = Confirm your email address
page-verify-email-intro = Press the button to confirm that this address is yours.
page-verify-email-action = Confirm my address
page-verify-email-done = Your address is confirmed. You can close this page.

## /reset-password

page-reset-password-title = Choose a new password
page-reset-password-intro = Choose a password you do not use anywhere else. Every device signed in to your account will be signed out.
page-reset-password-new = New password
page-reset-password-confirm = The new password again
page-reset-password-action = Set my password
page-reset-password-done = Your password is set and every session was signed out. Sign in again with the new password.

## /confirm-email-change

page-confirm-email-change-title = Use this email address
page-confirm-email-change-intro = Press the button to have your account use this address from now on.
page-confirm-email-change-action = Use this address
page-confirm-email-change-done = Your account now uses this address.

## /sessions (from the new sign-in mail)

page-sessions-title = Was it you?
page-sessions-intro = We told you about a new sign-in to your account. If it was you, there is nothing to do. If not, reset your password: every device signed in to your account will be signed out.
page-sessions-email = Your email address
page-sessions-action = Send me a reset link
page-sessions-done = If an account uses this address, a reset link is on its way to it.
