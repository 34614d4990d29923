//! The one place where failures become GraphQL errors with a contract code.
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql turns any
//! `Display` error into a client message, so a stray `?` on a database error would
//! leak its text. Resolvers return `Result<T, ApiError>`, and only the conversions
//! below can build one.
use std::sync::Arc;

use async_graphql::{
    ErrorExtensionValues, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
    },
    parser::types::ExecutableDocument,
};

use secrecy::ExposeSecret;

use crate::{
    auth::{AuthError, SecondFactorRefusal},
    i18n::{Catalog, Locale, Message},
};

/// What went wrong: the `extensions.code` of every error this API answers. Not used by
/// any field — it is in the schema so generated clients get the codes as a union type.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No access token, a malformed, expired or forged one, or its session ended.
    Unauthenticated,
    /// Signed in, but not allowed (a staff-only field).
    Forbidden,
    /// Invalid input; `extensions.field` names the input field when there is one.
    BadUserInput,
    /// A wrong username, email, password, second-factor code or passkey answer: the same
    /// message, and about the same time, whether or not the account exists.
    InvalidCredentials,
    /// Too many failed sign-ins; `extensions.retryAfterSeconds` says when to try again.
    AccountLocked,
    /// The account was deactivated.
    AccountDisabled,
    /// A field that needs a verified email (when `REQUIRE_VERIFIED_EMAIL` is on).
    EmailNotVerified,
    /// A refresh, reset, verification, mfa token or passkey challenge that is unknown,
    /// expired or used.
    InvalidToken,
    /// A rotated refresh token presented again: its whole session was revoked.
    TokenReused,
    /// A password and its confirmation differ; nothing was used up.
    PasswordMismatch,
    /// The id names nothing the caller may see.
    NotFound,
    /// The document does not parse.
    GraphqlParseFailed,
    /// The document does not validate against the schema.
    GraphqlValidationFailed,
    /// The password policy refuses the password; `extensions.reasons` says why.
    WeakPassword,
    /// Too many requests; `extensions.retryAfterSeconds` says when to try again.
    RateLimited,
    /// Depth, complexity, alias, root-field, directive or batch limit exceeded.
    QueryTooComplex,
    /// The password was right; finish with `completeLogin` (`extensions.mfaToken`,
    /// `extensions.methods`).
    MfaRequired,
    /// Anything unexpected; the details are in the server's log only.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::AccountLocked => "ACCOUNT_LOCKED",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::TokenReused => "TOKEN_REUSED",
            Self::PasswordMismatch => "PASSWORD_MISMATCH",
            Self::NotFound => "NOT_FOUND",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::WeakPassword => "WEAK_PASSWORD",
            Self::RateLimited => "RATE_LIMITED",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::MfaRequired => "MFA_REQUIRED",
            Self::Internal => "INTERNAL",
        }
    }
}

/// A client-safe error: a code, a message for people, and extra extensions.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: Message,
    extensions: Vec<(&'static str, Value)>,
}

impl ApiError {
    /// `message_id` names a message of `templates/locales/*/errors.ftl`.
    pub fn new(code: ErrorCode, message_id: &'static str) -> Self {
        Self::saying(code, Message::new(message_id))
    }

    pub fn saying(code: ErrorCode, message: Message) -> Self {
        Self {
            code,
            message,
            extensions: Vec::new(),
        }
    }

    /// A refusal about the document itself, in the words of the check that made it:
    /// for the developer writing the query, so the detail stays in English.
    pub fn about_document(code: ErrorCode, detail: String) -> Self {
        Self::saying(code, Message::new("error-document").with("detail", detail))
    }

    fn with(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.extensions.push((name, value.into()));
        self
    }

    /// Names the input field at fault (`extensions.field`).
    fn with_field(self, field: &'static str) -> Self {
        self.with("field", field)
    }

    pub fn bad_input(field: &'static str, message_id: &'static str) -> Self {
        Self::new(ErrorCode::BadUserInput, message_id).with_field(field)
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "error-unauthenticated")
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "error-forbidden")
    }

    pub fn email_not_verified() -> Self {
        Self::new(ErrorCode::EmailNotVerified, "error-email-not-verified")
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "error-internal")
    }

    /// Its words, for a page that shows the error itself.
    pub fn into_message(self) -> Message {
        self.message
    }
}

impl ApiError {
    /// The error as a GraphQL response carries it, `locations` pointing at `pos` when it
    /// is about one place in the document. Every error shape the API answers — from a
    /// resolver, the document checks, or the HTTP layer before GraphQL runs — is built
    /// here. Its message is the id until the HTTP layer says it in the reader's
    /// language (`translate`); the `Message` rides along as its source.
    pub fn into_server_error(self, pos: Option<async_graphql::Pos>) -> ServerError {
        let mut err = ServerError::new(self.message.id(), pos);
        err.extensions = Some(extension_values(self.code, self.extensions));
        err.source = Some(Arc::new(self.message));
        err
    }
}

/// Says every error of `errors` that carries a `Message` in `locale`: the HTTP layer
/// does, once it knows who reads the answer.
pub fn translate(errors: &mut [ServerError], catalog: &Catalog, locale: Locale) {
    for err in errors {
        if let Some(message) = err.source::<Message>() {
            err.message = catalog.text(locale, message);
        }
    }
}

fn extension_values(code: ErrorCode, rest: Vec<(&'static str, Value)>) -> ErrorExtensionValues {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    for (name, value) in rest {
        extensions.set(name, value);
    }
    extensions
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        async_graphql::Error {
            message: err.message.id().to_owned(),
            source: Some(Arc::new(err.message)),
            extensions: Some(extension_values(err.code, err.extensions)),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        use ErrorCode as C;
        match err {
            AuthError::InvalidInput(input) => {
                Self::saying(C::BadUserInput, input.message).with_field(input.field)
            }
            AuthError::WeakPassword(reasons) => Self::new(C::WeakPassword, "error-weak-password")
                .with(
                    "reasons",
                    Value::List(reasons.iter().map(|r| Value::from(r.code())).collect()),
                ),
            AuthError::PasswordMismatch => {
                Self::new(C::PasswordMismatch, "error-password-mismatch")
            }
            AuthError::InvalidCredentials => {
                Self::new(C::InvalidCredentials, "error-invalid-credentials")
            }
            AuthError::AccountLocked { retry_after } => {
                Self::new(C::AccountLocked, "error-account-locked")
                    .with("retryAfterSeconds", whole_seconds(retry_after))
            }
            AuthError::RateLimited { retry_after } => {
                Self::new(C::RateLimited, "error-rate-limited")
                    .with("retryAfterSeconds", whole_seconds(retry_after))
            }
            AuthError::AccountDisabled => Self::new(C::AccountDisabled, "error-account-disabled"),
            AuthError::Unauthenticated => Self::unauthenticated(),
            AuthError::InvalidToken => Self::new(C::InvalidToken, "error-invalid-token"),
            AuthError::TokenReused => Self::new(C::TokenReused, "error-token-reused"),
            AuthError::NotFound => Self::new(C::NotFound, "error-not-found"),
            AuthError::MfaRequired(challenge) => Self::new(C::MfaRequired, "error-mfa-required")
                .with("mfaToken", challenge.token.expose_secret())
                .with(
                    "methods",
                    Value::List(
                        challenge
                            .methods
                            .iter()
                            .map(|m| Value::from(m.as_str()))
                            .collect(),
                    ),
                ),
            AuthError::InvalidCode => Self::new(C::InvalidCredentials, "error-invalid-code"),
            AuthError::SecondFactor(refusal) => Self::new(
                C::BadUserInput,
                match refusal {
                    SecondFactorRefusal::AlreadyEnabled => "error-totp-already-enabled",
                    SecondFactorRefusal::NotEnrolling => "error-totp-not-enrolling",
                    SecondFactorRefusal::NotEnabled => "error-totp-not-enabled",
                    SecondFactorRefusal::PasskeysOff => "error-passkeys-off",
                    SecondFactorRefusal::TooManyPasskeys => "error-too-many-passkeys",
                },
            ),
            AuthError::Unexpected(cause) => {
                tracing::error!(error = format!("{cause:#}"), "unexpected failure");
                Self::internal()
            }
        }
    }
}

/// Rounded up: "retry after 0 s" while still refused would be a lie.
pub(crate) fn whole_seconds(d: std::time::Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Gives async-graphql's own errors (parse, validation, argument coercion)
/// their contract codes, so every error a client sees has one.
pub struct ContractErrorCodes;

impl ExtensionFactory for ContractErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ContractErrorCodes)
    }
}

/// Gives the library's own errors a code, and a frame for their (English) words.
fn with_code(mut err: ServerError, code: ErrorCode) -> ServerError {
    let extensions = err.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code.as_str());
    }
    if err.source.is_none() {
        let message = Message::new("error-document").with("detail", err.message.clone());
        err.source = Some(Arc::new(message));
    }
    err
}

#[async_trait::async_trait]
impl Extension for ContractErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        // What is left without a code comes from coercing arguments and variables.
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|err| with_code(err, ErrorCode::GraphqlValidationFailed))
            .collect();
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|err| {
            // async-graphql's recursion check and the parser's own nesting guard report
            // through the parser; they are limits, not syntax errors. (`QueryLimits`
            // refuses such documents first; this keeps the code right if it ever lets
            // one through.)
            let is_limit = err.message.starts_with("The recursion depth of the query")
                || err.message == "recursion limit exceeded.";
            let code = if is_limit {
                ErrorCode::QueryTooComplex
            } else {
                ErrorCode::GraphqlParseFailed
            };
            with_code(err, code)
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|err| with_code(err, ErrorCode::GraphqlValidationFailed))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;

    use super::ErrorCode;

    #[test]
    fn the_schema_enum_spells_every_code_as_errors_carry_it() {
        for item in ErrorCode::items() {
            assert_eq!(item.name, item.value.as_str());
        }
    }
}
