//! Sign-in (an access key pair, or an authorization token), sign-out, the session of a request,
//! and the cross-site checks every POST passes.
//!
//! Keys are checked as the API checks them: the root's configured key, else a principal's
//! ([`arca_service::Service::principal_by_access_key`]). A token is checked as native endpoints
//! check it ([`arca_service::Service::verify_authorization_token`]); the session it opens sees only
//! the token's domain and ends when the token does.

use arca_service::{Caller, Service};
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::session::{self, Claims, PRESESSION_COOKIE, SESSION_COOKIE, SESSION_SECONDS};
use crate::{html, see_other, UiError, UiState};

/// The signed-in caller of a request.
pub(crate) struct Session {
    pub caller: Caller,
    /// `(owner, name)` of the only domain the session may see.
    pub domain: Option<(String, String)>,
    /// The CSRF token of forms acting under this session (sign-out).
    pub csrf: String,
    /// Who is signed in, for the page header.
    pub who: String,
}

impl Session {
    /// Whether the session may see domain `name` of `owner` at all.
    pub fn sees_domain(&self, owner: &str, name: &str) -> bool {
        self.domain
            .as_ref()
            .is_none_or(|(o, n)| o == owner && n == name)
    }
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl UiState {
    /// The request's session; [`UiError::SignIn`] without a valid one. Its caller carries the
    /// request's facts (the client's address and TLS, as the server saw them, and a request id),
    /// so `aws:SourceIp`/`aws:SecureTransport` conditions and the audit log see UI requests as
    /// they see the API's.
    pub(crate) async fn session(
        &self,
        parts: &axum::http::request::Parts,
    ) -> Result<Session, UiError> {
        let headers = &parts.headers;
        let value = session::cookie(headers, SESSION_COOKIE).ok_or(UiError::SignIn)?;
        let claims = self
            .inner
            .keys
            .open(value, now_secs())
            .ok_or(UiError::SignIn)?;
        let keys = &self.inner.keys;
        let caller = match (&claims.u, &claims.k) {
            // A key session holds while that key does: same id, same secret (rotating the root
            // credentials or a principal's key, or removing the principal, ends it).
            (None, Some((id, fp))) => {
                let root = &self.inner.root;
                if *id != root.access_key_id
                    || !keys.fingerprint_ok(id, &root.secret_access_key, fp)
                {
                    return Err(UiError::SignIn);
                }
                Caller::root(claims.a.clone())
            }
            (Some(arn), Some((id, fp))) => {
                let key = self
                    .service
                    .principal_by_access_key(id)
                    .await?
                    .filter(|p| {
                        p.caller.arn() == *arn && keys.fingerprint_ok(id, &p.secret_access_key, fp)
                    })
                    .ok_or(UiError::SignIn)?;
                key.caller
            }
            // A token session (its domain set): the token's own expiry bounds it; a principal is
            // looked up as it is now, so removed, its sessions end.
            (None, None) if claims.d.is_some() => Caller::root(claims.a.clone()),
            (Some(arn), None) if claims.d.is_some() => self
                .service
                .user_by_arn(arn)
                .await?
                .ok_or(UiError::SignIn)?,
            // A key session without its key (a cookie of an earlier version).
            _ => return Err(UiError::SignIn),
        };
        let facts = arca_service::RequestFacts {
            request_id: uuid::Uuid::new_v4().to_string(),
            ..parts.extensions.get().cloned().unwrap_or_default()
        };
        let caller = caller.with_facts(facts);
        Ok(Session {
            who: caller.arn(),
            caller,
            domain: claims.d,
            csrf: self.inner.keys.csrf("session", value),
        })
    }

    /// The claims of a session for these credentials, or why not.
    async fn verify(&self, form: &SignInForm) -> Result<Claims, String> {
        let refused = "Those credentials were not accepted.".to_string();
        if let Some(token) = form
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let grant = self
                .service
                .verify_authorization_token(token)
                .map_err(|_| refused.clone())?;
            if let Some(arn) = &grant.user {
                self.service
                    .user_by_arn(arn)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or(refused)?;
            }
            return Ok(Claims {
                a: grant.account,
                u: grant.user,
                d: Some((grant.domain_owner, grant.domain)),
                exp: grant.expires_secs,
                k: None,
            });
        }
        let id = form.access_key_id.as_deref().unwrap_or("").trim();
        let secret = form.secret_access_key.as_deref().unwrap_or("").trim();
        if id.is_empty() || secret.is_empty() {
            return Err("Enter an access key id and its secret, or a token.".into());
        }
        let exp = now_secs() + SESSION_SECONDS;
        let root = &self.inner.root;
        if id == root.access_key_id {
            return ct_eq(secret, &root.secret_access_key)
                .then(|| Claims {
                    a: root.account_id.clone(),
                    u: None,
                    d: None,
                    exp,
                    k: Some((
                        id.to_string(),
                        self.inner.keys.fingerprint(id, &root.secret_access_key),
                    )),
                })
                .ok_or(refused);
        }
        let principal = principal(&self.service, id).await?.ok_or(refused.clone())?;
        if !ct_eq(secret, &principal.secret_access_key) {
            return Err(refused);
        }
        Ok(Claims {
            a: principal.caller.account.clone(),
            u: Some(principal.caller.arn()),
            d: None,
            exp,
            k: Some((
                id.to_string(),
                self.inner
                    .keys
                    .fingerprint(id, &principal.secret_access_key),
            )),
        })
    }

    fn cookie(&self, name: &str, value: &str, max_age: i64) -> (header::HeaderName, HeaderValue) {
        let v = session::set_cookie(name, value, max_age, self.inner.secure);
        (
            header::SET_COOKIE,
            HeaderValue::from_str(&v).expect("cookie values are base64url"),
        )
    }
}

async fn principal(
    service: &Service,
    id: &str,
) -> Result<Option<arca_service::PrincipalKey>, String> {
    service.principal_by_access_key(id).await.map_err(|e| {
        tracing::error!(error = %e, "web UI: looking up an access key failed");
        "Sign-in failed on the server; try again.".to_string()
    })
}

fn ct_eq(a: &str, b: &str) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// Refuses a POST that comes from another site: `Sec-Fetch-Site` other than `same-origin` or
/// `none` (typed by the user), or an `Origin` that is not this server's (its `Host`, or the
/// public URL).
pub(crate) fn same_origin(service: &Service, headers: &HeaderMap) -> Result<(), UiError> {
    let refused = UiError::Forbidden("Cross-site requests are refused.");
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return Err(refused);
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .map_err(|_| UiError::Forbidden("Bad Origin."))?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let public = service.public_url().ok().map(|u| {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    });
    match authority {
        Some(a) if Some(a) == host || Some(a) == public => Ok(()),
        _ => Err(refused),
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage<'a> {
    csrf: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    csrf: String,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
}

pub(crate) async fn signin_form(State(state): State<UiState>, headers: HeaderMap) -> Response {
    let nonce = match session::cookie(&headers, PRESESSION_COOKIE) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => session::nonce(),
    };
    let csrf = state.inner.keys.csrf("signin", &nonce);
    let page = html(
        SignInPage {
            csrf: &csrf,
            error: None,
        }
        .render(),
    );
    ([state.cookie(PRESESSION_COOKIE, &nonce, 3600)], page).into_response()
}

pub(crate) async fn signin(
    State(state): State<UiState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Result<Response, UiError> {
    same_origin(&state.service, &headers)?;
    let Form(form) = form.map_err(|e| UiError::BadRequest(e.body_text()))?;
    let nonce = session::cookie(&headers, PRESESSION_COOKIE).unwrap_or("");
    if nonce.is_empty() || !state.inner.keys.csrf_ok("signin", nonce, &form.csrf) {
        return Err(UiError::Forbidden(
            "The sign-in form expired or came from elsewhere; reload the sign-in page.",
        ));
    }
    match state.verify(&form).await {
        Ok(claims) => {
            let value = state.inner.keys.seal(&claims);
            let age = (claims.exp - now_secs()).max(0);
            Ok((
                AppendHeaders([
                    state.cookie(SESSION_COOKIE, &value, age),
                    state.cookie(PRESESSION_COOKIE, "", 0),
                ]),
                see_other("/ui/"),
            )
                .into_response())
        }
        Err(message) => {
            let csrf = state.inner.keys.csrf("signin", nonce);
            let mut r = html(
                SignInPage {
                    csrf: &csrf,
                    error: Some(&message),
                }
                .render(),
            );
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn signout(
    State(state): State<UiState>,
    headers: HeaderMap,
    form: Result<Form<SignOutForm>, FormRejection>,
) -> Result<Response, UiError> {
    same_origin(&state.service, &headers)?;
    let Form(form) = form.map_err(|e| UiError::BadRequest(e.body_text()))?;
    let value = session::cookie(&headers, SESSION_COOKIE).unwrap_or("");
    if !state.inner.keys.csrf_ok("session", value, &form.csrf) {
        return Err(UiError::Forbidden(
            "The sign-out form expired or came from elsewhere.",
        ));
    }
    Ok((
        [state.cookie(SESSION_COOKIE, "", 0)],
        see_other("/ui/signin"),
    )
        .into_response())
}
