//! The cargo sparse registry below `/cargo/d/{domain}-{owner}/{repo}/` (the `index` of a
//! `[registries.…]` entry, as `sparse+{endpoint}`):
//!
//! | request | answer |
//! |---|---|
//! | `GET config.json` | `dl`, `api`, `auth-required: true` (so cargo sends its token everywhere) |
//! | `GET 1/{n}`, `2/{n}`, `3/{c}/{n}`, `{ab}/{cd}/{name}` | the index file (`ETag` and `Last-Modified`, 304 on `If-None-Match` or `If-Modified-Since`; `Warning` when a source's copy is stale); 404 for an unknown crate |
//! | `PUT api/v1/crates/new` | `cargo publish` (the length-prefixed body, `publish.rs`) |
//! | `GET api/v1/crates/{name}/{version}/download` | the `.crate`, streamed |
//! | `DELETE api/v1/crates/{name}/{version}/yank`, `PUT …/unyank` | `cargo yank [--undo]` |
//! | `GET api/v1/crates?q=…&per_page=…` | `cargo search` |
//! | `GET api/v1/crates/{name}/owners` | `cargo owner --list`: the repository's administrator account; adding or removing owners is refused |
//! | `GET me` | where tokens come from (cargo's `login_url`) |
//!
//! Errors are `{"errors":[{"detail": …}]}` (`crate::error`), which cargo prints.

mod publish;

use arca_service::{cargo, Caller, Service};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::body::json_response;
use crate::{Endpoint, NativeError, NativeState};

/// Results of a search when cargo does not say (`per_page`), and at most.
const SEARCH_DEFAULT: usize = 10;
const SEARCH_MAX: usize = 100;

#[derive(Debug, PartialEq, Eq)]
enum Target {
    Config,
    Me,
    Index { name: String },
    Publish,
    Search,
    Download { name: String, version: String },
    Yank { name: String, version: String },
    Unyank { name: String, version: String },
    Owners { name: String },
}

impl Target {
    fn allow(&self) -> &'static str {
        match self {
            Self::Publish | Self::Unyank { .. } => "PUT",
            Self::Yank { .. } => "DELETE",
            Self::Owners { .. } => "GET, PUT, DELETE",
            _ => "GET, HEAD",
        }
    }
}

fn target(rest: &str) -> Option<Target> {
    let path = percent_decode_str(rest).decode_utf8().ok()?;
    let owned = |s: &str| s.to_string();
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["config.json"] => Some(Target::Config),
        ["me"] => Some(Target::Me),
        ["api", "v1", "crates"] => Some(Target::Search),
        ["api", "v1", "crates", "new"] => Some(Target::Publish),
        ["api", "v1", "crates", name, "owners"] => Some(Target::Owners { name: owned(name) }),
        ["api", "v1", "crates", name, version, action] => {
            let (name, version) = (owned(name), owned(version));
            match *action {
                "download" => Some(Target::Download { name, version }),
                "yank" => Some(Target::Yank { name, version }),
                "unyank" => Some(Target::Unyank { name, version }),
                _ => None,
            }
        }
        _ => cargo::name_of_index_path(&path).map(|n| Target::Index { name: owned(n) }),
    }
}

/// What a 401 points cargo at.
pub(crate) fn login_url(svc: &Service, e: &Endpoint<'_>) -> String {
    e.url(svc).map(|u| format!("{u}me")).unwrap_or_default()
}

pub(crate) async fn serve(
    state: &NativeState,
    caller: &Caller,
    endpoint: &Endpoint<'_>,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let svc = &state.service;
    let target = target(endpoint.rest).ok_or_else(|| {
        NativeError::NotFound(format!(
            "No cargo registry resource at '{}'.",
            endpoint.rest
        ))
    })?;
    let repo = endpoint.repository(svc, caller).await?;
    let allow = target.allow();
    let ok = || json!({"ok": true});
    match (req.method().clone(), target) {
        (Method::GET | Method::HEAD, Target::Config) => {
            let url = endpoint.url(svc)?;
            let config = json!({
                "dl": format!("{url}api/v1/crates"),
                "api": url.trim_end_matches('/'),
                "auth-required": true,
            });
            Ok(json_response(&config))
        }
        (Method::GET | Method::HEAD, Target::Me) => Err(NativeError::BadRequest(
            "Arca has no web login: get a token with 'aws codeartifact get-authorization-token --domain D --query authorizationToken --output text', or let cargo run it (credential-provider = \"cargo:token-from-stdout aws codeartifact get-authorization-token …\").".into(),
        )),
        (Method::GET | Method::HEAD, Target::Index { name }) => {
            let file = svc.cargo_index(&repo, &name).await?;
            let last_modified = file.last_modified_ms.and_then(http_date);
            let mut resp = if not_modified(req.headers(), &file.etag, file.last_modified_ms) {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::NOT_MODIFIED;
                r
            } else {
                let mut r = Response::new(Body::from(file.body));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                r
            };
            if let Ok(etag) = HeaderValue::from_str(&file.etag) {
                resp.headers_mut().insert(header::ETAG, etag);
            }
            if let Some(date) = last_modified {
                resp.headers_mut().insert(header::LAST_MODIFIED, date);
            }
            if file.stale.is_some() {
                resp.headers_mut().insert(
                    header::WARNING,
                    HeaderValue::from_static(arca_service::upstream::STALE_WARNING),
                );
            }
            Ok(resp)
        }
        (Method::PUT, Target::Publish) => publish::handle(state, &repo, req).await,
        (Method::GET | Method::HEAD, Target::Download { name, version }) => {
            let d = svc.cargo_download(&repo, &name, &version).await?;
            Ok(crate::body::download(d))
        }
        (Method::DELETE, Target::Yank { name, version }) => {
            svc.cargo_set_yanked(&repo, &name, &version, true).await?;
            Ok(json_response(&ok()))
        }
        (Method::PUT, Target::Unyank { name, version }) => {
            svc.cargo_set_yanked(&repo, &name, &version, false).await?;
            Ok(json_response(&ok()))
        }
        (Method::GET | Method::HEAD, Target::Search) => {
            let query = req.uri().query().unwrap_or("");
            let param = |k: &str| {
                query.split('&').find_map(|kv| {
                    let (key, v) = kv.split_once('=')?;
                    (key == k).then(|| {
                        percent_decode_str(&v.replace('+', " "))
                            .decode_utf8_lossy()
                            .into_owned()
                    })
                })
            };
            let limit = param("per_page")
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(SEARCH_DEFAULT)
                .clamp(1, SEARCH_MAX);
            let found = svc
                .cargo_search(&repo, &param("q").unwrap_or_default(), limit)
                .await?;
            let crates: Vec<_> = found
                .hits
                .iter()
                .map(|h| json!({"name": h.name, "max_version": h.max_version, "description": h.description}))
                .collect();
            Ok(json_response(
                &json!({"crates": crates, "meta": {"total": found.total}}),
            ))
        }
        (Method::GET | Method::HEAD, Target::Owners { name }) => {
            svc.cargo_crate_exists(&repo, &name).await?;
            let account = repo.administrator();
            Ok(json_response(&json!({
                "users": [{"id": 1, "login": account, "name": format!("administrator of repository {}", repo.name())}]
            })))
        }
        (Method::PUT | Method::DELETE, Target::Owners { .. }) => Err(NativeError::BadRequest(
            "Arca has no crate owners: who may publish is decided by the repository's access, not by cargo owner.".into(),
        )),
        (m, _) => Err(NativeError::MethodNotAllowed {
            allow,
            message: format!("{m} is not supported on this cargo registry resource; use {allow}."),
        }),
    }
}

/// Whether the client's copy is current (RFC 9110 §13.2.2): `If-None-Match` names the ETag, or,
/// only when there is no `If-None-Match`, `If-Modified-Since` is no earlier than the content's
/// change time (whole seconds, as HTTP dates are).
fn not_modified(headers: &http::HeaderMap, etag: &str, changed_ms: Option<i64>) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(tags) = text(header::IF_NONE_MATCH) {
        return tags.split(',').any(|t| t.trim() == etag || t.trim() == "*");
    }
    let (Some(since), Some(changed_ms)) = (text(header::IF_MODIFIED_SINCE), changed_ms) else {
        return false;
    };
    let Ok(since) = httpdate::parse_http_date(since) else {
        return false; // An invalid date is ignored.
    };
    let since = since
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u64::try_from(changed_ms.div_euclid(1000)).is_ok_and(|changed| changed <= since)
}

/// `ms` since the epoch as an HTTP date header value.
fn http_date(ms: i64) -> Option<HeaderValue> {
    let ms = u64::try_from(ms).ok()?;
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    HeaderValue::from_str(&httpdate::fmt_http_date(time)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_paths() {
        let t = |s: &str| target(s);
        assert_eq!(t("config.json"), Some(Target::Config));
        assert_eq!(
            t("ki/t-/kit-core"),
            Some(Target::Index {
                name: "kit-core".into()
            })
        );
        assert_eq!(t("3/k/kit"), Some(Target::Index { name: "kit".into() }));
        assert_eq!(t("3/x/kit"), None);
        assert_eq!(t("api/v1/crates/new"), Some(Target::Publish));
        assert_eq!(t("api/v1/crates"), Some(Target::Search));
        assert_eq!(
            t("api/v1/crates/kit/1.0.0%2Bb/download"),
            Some(Target::Download {
                name: "kit".into(),
                version: "1.0.0+b".into()
            })
        );
        assert_eq!(
            t("api/v1/crates/kit/1.0.0/unyank"),
            Some(Target::Unyank {
                name: "kit".into(),
                version: "1.0.0".into()
            })
        );
        assert_eq!(
            t("api/v1/crates/kit/owners"),
            Some(Target::Owners { name: "kit".into() })
        );
        assert_eq!(t("api/v1/crates/kit/1.0.0/other"), None);
        assert_eq!(t(""), None);
    }
}
