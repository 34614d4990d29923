use std::fmt;

use sea_orm::DeriveValueType;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DeriveValueType)]
        pub struct $name(Uuid);

        /// Rows are keyed by ids the service makes, never by a number the database
        /// counts out; SeaORM asks primary keys for this conversion all the same.
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses an id given by a client; anything malformed is `None`, so callers
            /// answer it exactly like an id that names nothing.
            pub fn parse(s: &str) -> Option<Self> {
                Uuid::try_parse(s).ok().map(Self)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// The stable identifier of an account.
    UserId
);
id_type!(
    /// One sign-in on one device; access tokens carry it as `sid`.
    SessionId
);
id_type!(
    /// A password-reset or email-verification token's row; the token is derived from it.
    TokenId
);
id_type!(
    /// One message in the mail outbox.
    MailId
);
id_type!(
    /// One passkey registered to an account.
    PasskeyId
);
id_type!(
    /// One passkey registration or sign-in ceremony, from its start to its finish.
    CeremonyId
);
