# The service's email messages, in English.
# Texts taken from src/mail/templates/{mod.rs,second_factor.rs}.

## Common

mail-greeting = Hello { $username },
mail-footer = This message was sent by { $product } about your account.
mail-link-hint = If the button does not work, copy this address into your browser:

## Durations ($count: a number)

duration-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
duration-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}

## Email verification ($duration: an already formatted duration, e.g. "48 hours")

mail-email-verification-subject = Confirm your email address
mail-email-verification-intro = To confirm your email address, open this link:
mail-email-verification-action = Confirm my address
mail-email-verification-validity = This link is valid for { $duration }.
mail-email-verification-ignore = If you did not create an account, ignore this message.

## Password reset

mail-password-reset-subject = Reset your password
mail-password-reset-intro = Someone asked to reset the password of your account. To choose a new password, open this link:
mail-password-reset-action = Choose a new password
mail-password-reset-validity = This link is valid for { $duration } and works once.
mail-password-reset-ignore = If you did not ask for this, ignore this message: your password stays as it is.

## Email change: confirmation sent to the new address

mail-email-change-confirmation-subject = Confirm your new email address
mail-email-change-confirmation-intro = To have your account use this address from now on, open this link:
mail-email-change-confirmation-action = Use this address
mail-email-change-confirmation-validity = This link is valid for { $duration }.
mail-email-change-confirmation-ignore = If you did not ask for this, ignore this message: nothing will change.

## Email change: notice sent to the old address ($newEmail: masked)

mail-email-change-requested-subject = Email address change requested
mail-email-change-requested-intro = Someone who knows your password asked for your account to use the address { $newEmail }. The change only happens if the link sent there is opened.
mail-email-change-requested-advice = If this wasn't you, change your password now and sign out your other devices.

## Account deleted

mail-account-deleted-subject = Your account was deleted
mail-account-deleted-intro = Your account was deleted as you asked. Your sessions are ended and your personal data erased.
mail-account-deleted-advice = If you did not ask for this, reply to this message: someone knew your password.

## Password changed

mail-password-changed-subject = Your password was changed
mail-password-changed-intro = The password of your account was just changed.
mail-password-changed-advice = If this was not you, reset your password right away.

## Password reset completed

mail-password-reset-completed-subject = Your password was reset
mail-password-reset-completed-intro = The password of your account was just reset, and all your sessions were ended.
mail-password-reset-completed-advice = If this was not you, reset your password right away.

## New sign-in ($device, $place, $ip: always given; when unknown, the mail-unknown-* texts)

mail-new-sign-in-subject = New sign-in to your account
mail-new-sign-in-intro = Your account was just signed in to from { $device } ({ $place }, address { $ip }).
mail-new-sign-in-action = Review my sessions
mail-new-sign-in-advice = If this was you, there is nothing to do. Otherwise, end that session and change your password.
mail-unknown-device = an unknown device
mail-unknown-place = unknown location
mail-unknown-ip = unknown

## Two-step sign-in turned on

mail-mfa-enabled-subject = Two-step sign-in is on
mail-mfa-enabled-intro = Two-step sign-in was just turned on for your account: from now on, signing in asks for a code from your authenticator app after your password.
mail-mfa-enabled-recovery-codes = Keep your recovery codes somewhere safe: they let you sign in if you lose your phone.
mail-mfa-enabled-advice = If this was not you, reset your password right away.

## Two-step sign-in turned off ($byStaff: "yes" or "no")

mail-mfa-disabled-subject = Two-step sign-in is off
mail-mfa-disabled-intro = Two-step sign-in was just turned off for your account{ $byStaff ->
    [yes] {" by our support team"}
   *[no] {""}
}: signing in asks for your password only, and your recovery codes no longer work.
mail-mfa-disabled-advice = If you did not ask for this, reset your password right away and turn it back on.

## Recovery code used ($codesLeft: a number)

mail-recovery-code-used-subject = A recovery code was used
mail-recovery-code-used-intro = A recovery code was just used to sign in to your account. { $codesLeft ->
    [0] You have none left
   *[other] You have { $codesLeft } left
}; you can generate new ones in your security settings.
mail-recovery-code-used-advice = If this was not you, reset your password right away.

## Passkey added ($name: the passkey's name)

mail-passkey-added-subject = A passkey was added to your account
mail-passkey-added-intro = A passkey was just added to your account: it signs in without a password.
mail-passkey-added-intro-named = A passkey "{ $name }" was just added to your account: it signs in without a password.
mail-passkey-added-advice = If this was not you, remove it in your security settings and reset your password right away.

## Passkey removed ($name: the passkey's name)

mail-passkey-removed-subject = A passkey was removed from your account
mail-passkey-removed-intro = The passkey was just removed from your account: it no longer signs you in.
mail-passkey-removed-intro-named = The passkey "{ $name }" was just removed from your account: it no longer signs you in.
mail-passkey-removed-advice = If this was not you, reset your password right away.
