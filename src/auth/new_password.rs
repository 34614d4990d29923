//! The one rule every new password passes, whichever flow sets it (register,
//! changePassword, a reset).
use super::AuthError;
use crate::domain::{EmailAddress, NewPassword, Password, Username};

/// A new password and its confirmation, checked in the contract's order: the two must
/// agree before anything is used up, then the policy decides, an over-long password
/// included (`TOO_LONG`, never hashed).
pub(super) fn confirmed_new_password(
    password: String,
    confirm: String,
    field: &'static str,
    username: &Username,
    email: &EmailAddress,
) -> Result<NewPassword, AuthError> {
    if password != confirm {
        return Err(AuthError::PasswordMismatch);
    }
    NewPassword::check_length(&password).map_err(AuthError::WeakPassword)?;
    let password = Password::parse(password, field)?;
    NewPassword::parse(password, username, email).map_err(AuthError::WeakPassword)
}
