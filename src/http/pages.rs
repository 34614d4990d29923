//! The pages behind the links in mail, when `APP_URL` is this service: verify an
//! address, set a new password, confirm a new address, and "was it you?" after a new
//! sign-in. A GET only shows a button — mail scanners open links, and must not use
//! them up — and the POST it sends completes the step through the same flows, budgets
//! and trail as the API. No scripts, nothing from elsewhere, a CSP that says so.
use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Form, Query, State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

use super::{AppState, accepted_locale, client_ip::client_info};
use crate::{
    auth::{AuthError, ResetPassword},
    domain::{NewPassword, PasswordWeakness},
    graphql::error::ApiError,
    i18n::{Catalog, Locale, Message, layouts},
};

/// Nothing runs and nothing loads but the stylesheet; forms post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Tokens are a few dozen characters; anything much longer is not one of ours.
const MAX_TOKEN_CHARS: usize = 512;

/// The paths mail links use, each one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPage {
    VerifyEmail,
    ResetPassword,
    ConfirmEmailChange,
    /// After a new sign-in: a way to take the account back by a reset link.
    Sessions,
}

impl LinkPage {
    pub const ALL: [Self; 4] = [
        Self::VerifyEmail,
        Self::ResetPassword,
        Self::ConfirmEmailChange,
        Self::Sessions,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Self::VerifyEmail => "/verify-email",
            Self::ResetPassword => "/reset-password",
            Self::ConfirmEmailChange => "/confirm-email-change",
            Self::Sessions => "/sessions",
        }
    }

    /// The prefix of its words in `pages.ftl`.
    fn name(self) -> &'static str {
        match self {
            Self::VerifyEmail => "page-verify-email",
            Self::ResetPassword => "page-reset-password",
            Self::ConfirmEmailChange => "page-confirm-email-change",
            Self::Sessions => "page-sessions",
        }
    }

    /// The page's own fields, besides the link's token.
    fn fields(self) -> &'static [Field] {
        match self {
            Self::ResetPassword => &[
                Field {
                    name: "new_password",
                    label: "page-reset-password-new",
                    kind: "password",
                    autocomplete: "new-password",
                },
                Field {
                    name: "new_password_confirm",
                    label: "page-reset-password-confirm",
                    kind: "password",
                    autocomplete: "new-password",
                },
            ],
            Self::Sessions => &[Field {
                name: "email",
                label: "page-sessions-email",
                kind: "email",
                autocomplete: "email",
            }],
            Self::VerifyEmail | Self::ConfirmEmailChange => &[],
        }
    }

    /// Whether its link carries a token (the sessions page's does not).
    fn needs_token(self) -> bool {
        self != Self::Sessions
    }
}

struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
}

/// What a page's form sends; every field is optional, so a mangled form is shown
/// again with a message rather than refused by the extractor.
#[derive(Debug, Default, Deserialize)]
pub struct Submitted {
    token: Option<String>,
    new_password: Option<String>,
    new_password_confirm: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

/// `GET`: the page and its button; nothing is used up.
pub async fn show(
    page: LinkPage,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LinkQuery>,
) -> Response {
    let locale = accepted_locale(&headers);
    let view = match usable_token(page, query.token) {
        Ok(token) => View::form(token),
        Err(()) => View::notice(Notice::error(Message::new("page-link-incomplete"))),
    };
    render(&state, locale, page, view)
}

/// `POST`: completes the step, and says how it went.
pub async fn submit(
    page: LinkPage,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<Submitted>, FormRejection>,
) -> Response {
    let locale = accepted_locale(&headers);
    if !posted_from_here(&state, &headers) {
        // Another site's form would spend the reader's link (or mail a reset) unseen.
        let notice = Notice::error(Message::new("error-forbidden"));
        return with_status(
            StatusCode::FORBIDDEN,
            render(&state, locale, page, View::notice(notice)),
        );
    }
    let form = match form {
        Ok(Form(form)) => form,
        // Left unread on the connection: 413, and the connection is closed after it.
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return rejection.into_response();
        }
        Err(_) => Submitted::default(),
    };
    let Ok(token) = usable_token(page, form.token.clone()) else {
        let notice = Notice::error(Message::new("page-link-incomplete"));
        return render(&state, locale, page, View::notice(notice));
    };
    let client = client_info(&state, peer, &headers);
    let auth = &state.auth;
    let field = |value: Option<String>| value.unwrap_or_default();
    let outcome = match page {
        LinkPage::VerifyEmail => auth.verify_email(&token, &client).await.map(drop),
        LinkPage::ConfirmEmailChange => auth.confirm_email_change(&token, &client).await.map(drop),
        LinkPage::ResetPassword => {
            let reset = ResetPassword {
                token: token.clone().into(),
                new_password: field(form.new_password),
                new_password_confirm: field(form.new_password_confirm),
            };
            auth.confirm_password_reset(reset, &client).await
        }
        LinkPage::Sessions => {
            auth.request_password_reset(&field(form.email), &client)
                .await
        }
    };
    let view = match outcome {
        Ok(()) => View::notice(Notice::done(Message::new(format!("{}-done", page.name())))),
        Err(err) => refused(token, err),
    };
    render(&state, locale, page, view)
}

/// Whether a POST comes from one of these pages. Browsers say where a request comes
/// from in `Sec-Fetch-Site`, and older ones in `Origin`; with the pages' `no-referrer`
/// policy that may be `null`, which says nothing either way. A request with neither
/// is no browser's and cannot ride on a reader's visit.
fn posted_from_here(state: &AppState, headers: &HeaderMap) -> bool {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let site_ok =
        header("sec-fetch-site").is_none_or(|site| matches!(site, "same-origin" | "none"));
    let origin_ok = header(header::ORIGIN.as_str()).is_none_or(|origin| {
        origin == "null" || origin.eq_ignore_ascii_case(state.browsers.own_origin())
    });
    site_ok && origin_ok
}

/// The link's token, or `Err` when the page needs one and it is missing or mangled.
fn usable_token(page: LinkPage, token: Option<String>) -> Result<String, ()> {
    if !page.needs_token() {
        return Ok(String::new());
    }
    match token.map(|t| t.trim().to_owned()) {
        Some(token) if !token.is_empty() && token.chars().count() <= MAX_TOKEN_CHARS => Ok(token),
        _ => Err(()),
    }
}

/// What a refusal shows: a dead link is the end of it; anything the reader can fix
/// (a weak password, a typo, a moment's wait) keeps the form.
fn refused(token: String, err: AuthError) -> View {
    match err {
        AuthError::InvalidToken => View::notice(Notice::error(Message::new("page-link-broken"))),
        AuthError::WeakPassword(reasons) => {
            let mut notice = Notice::error(Message::new("error-weak-password"));
            notice.reasons = reasons.into_iter().map(weakness).collect();
            View::form(token).with_notice(notice)
        }
        other => {
            let message = ApiError::from(other).into_message();
            View::form(token).with_notice(Notice::error(message))
        }
    }
}

fn weakness(reason: PasswordWeakness) -> Message {
    match reason {
        PasswordWeakness::TooShort => {
            Message::new("weak-password-too-short").with("min", NewPassword::MIN_CHARS)
        }
        PasswordWeakness::TooLong => Message::new("weak-password-too-long"),
        PasswordWeakness::SimilarToUsername => Message::new("weak-password-similar-to-username"),
        PasswordWeakness::SimilarToEmail => Message::new("weak-password-similar-to-email"),
        PasswordWeakness::TooCommon => Message::new("weak-password-too-common"),
    }
}

/// A page before its words are chosen.
struct View {
    intro: bool,
    form: Option<String>,
    notice: Option<Notice>,
}

impl View {
    /// The intro and the form, holding `token` for the POST.
    fn form(token: String) -> Self {
        Self {
            intro: true,
            form: Some(token),
            notice: None,
        }
    }

    /// Only a notice: the step is done, or cannot be.
    fn notice(notice: Notice) -> Self {
        Self {
            intro: false,
            form: None,
            notice: Some(notice),
        }
    }

    fn with_notice(self, notice: Notice) -> Self {
        Self {
            notice: Some(notice),
            ..self
        }
    }
}

struct Notice {
    done: bool,
    message: Message,
    reasons: Vec<Message>,
}

impl Notice {
    fn done(message: Message) -> Self {
        Self {
            done: true,
            message,
            reasons: Vec::new(),
        }
    }

    fn error(message: Message) -> Self {
        Self {
            done: false,
            message,
            reasons: Vec::new(),
        }
    }
}

/// What `pages/page.html` is given.
#[derive(Serialize)]
struct Layout {
    lang: &'static str,
    dir: &'static str,
    title: String,
    intro: Option<String>,
    notice: Option<NoticeLayout>,
    form: Option<FormLayout>,
    footer: String,
}

#[derive(Serialize)]
struct NoticeLayout {
    kind: &'static str,
    text: String,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct FormLayout {
    action: &'static str,
    token: String,
    fields: Vec<FieldLayout>,
    button: String,
}

#[derive(Serialize)]
struct FieldLayout {
    name: &'static str,
    label: String,
    kind: &'static str,
    autocomplete: &'static str,
}

fn render(state: &AppState, locale: Locale, page: LinkPage, view: View) -> Response {
    match page_html(&state.catalog, &state.product, locale, page, view) {
        Ok(html) => with_policy(Html(html).into_response()),
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "a link page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
                .into_response()
        }
    }
}

/// Renders every page, with a form, a notice and its reasons, in every language, so a
/// layout override that fails stops the start rather than every reader after it.
pub fn check_layout(catalog: &Catalog, product: &str) -> anyhow::Result<()> {
    for locale in Locale::ALL {
        for page in LinkPage::ALL {
            let mut notice = Notice::error(Message::new("error-weak-password"));
            notice.reasons = vec![weakness(PasswordWeakness::TooCommon)];
            let view = View::form("sample".into()).with_notice(notice);
            page_html(catalog, product, locale, page, view)?;
        }
    }
    Ok(())
}

fn page_html(
    catalog: &Catalog,
    product: &str,
    locale: Locale,
    page: LinkPage,
    view: View,
) -> anyhow::Result<String> {
    let say = |message: Message| catalog.text(locale, &message);
    let part = |suffix: &str| say(Message::new(format!("{}-{suffix}", page.name())));
    let layout = Layout {
        lang: locale.code(),
        dir: if locale.is_rtl() { "rtl" } else { "ltr" },
        title: part("title"),
        intro: view.intro.then(|| part("intro")),
        notice: view.notice.map(|notice| NoticeLayout {
            kind: if notice.done { "done" } else { "error" },
            text: say(notice.message),
            reasons: notice.reasons.into_iter().map(say).collect(),
        }),
        form: view.form.map(|token| FormLayout {
            action: page.path(),
            token,
            fields: page
                .fields()
                .iter()
                .map(|field| FieldLayout {
                    name: field.name,
                    label: say(Message::new(field.label)),
                    kind: field.kind,
                    autocomplete: field.autocomplete,
                })
                .collect(),
            button: part("action"),
        }),
        footer: say(Message::new("page-footer").with("product", product.to_owned())),
    };
    catalog.render(layouts::PAGE, &layout)
}

fn with_status(status: StatusCode, mut response: Response) -> Response {
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    response
}

/// `GET /assets/pages.css`: the pages' one stylesheet (`pages/style.css`).
pub async fn style(State(state): State<AppState>) -> Response {
    let mut response = state.catalog.style().to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

fn with_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}
