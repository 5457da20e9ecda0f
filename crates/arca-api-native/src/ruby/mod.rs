//! RubyGems below `/ruby/d/{domain}-{owner}/{repo}/` (`E`: the source of `gem` and Bundler, and
//! `RUBYGEMS_HOST` without its last `/` for `gem push` and `gem yank`):
//!
//! | request | answer |
//! |---|---|
//! | `HEAD`/`GET E` | 200: the probe `gem` 3.3 sends before it reads `info/` (no 2xx: the full index) |
//! | `POST api/v1/gems` | `gem push` (the raw `.gem`, streamed to staging) |
//! | `DELETE api/v1/gems/yank` | `gem yank` (form or query `gem_name`, `version`, `platform`) |
//! | `GET api/v1/dependencies[.json]?gems=a,b` | the dependency API (Marshal, or JSON); no `gems`: 200 empty (Bundler's probe) |
//! | `GET names`, `versions`, `info/{name}` | the compact index: `ETag` (quoted MD5), `Repr-Digest`, 304 on `If-None-Match`, 206 on `Range` (`range`) |
//! | `GET specs.4.8.gz`, `latest_specs.4.8.gz`, `prerelease_specs.4.8.gz` | the full index |
//! | `GET quick/Marshal.4.8/{name}-{version}[-{platform}].gemspec.rz` | the gem's specification |
//! | `GET gems/{name}-{version}[-{platform}].gem` | the gem, streamed |
//!
//! Errors are plain text (`crate::error`, `Wire::Text`), which `gem` and Bundler print.

mod range;

use arca_service::ruby::SpecsKind;
use arca_service::{Caller, NativeRepo};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response};
use futures::StreamExt;
use percent_encoding::percent_decode_str;

use crate::{Endpoint, NativeError, NativeState};

/// Most gem names in one dependency API request (Bundler asks for at most 100).
const MAX_DEPENDENCY_NAMES: usize = 200;
/// Largest `gem yank` form.
const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Debug, PartialEq, Eq)]
enum Target {
    Root,
    Push,
    Yank,
    Dependencies { json: bool },
    Names,
    Versions,
    Info { name: String },
    Specs(SpecsKind),
    QuickSpec { stem: String },
    Gem { file: String },
}

impl Target {
    fn allow(&self) -> &'static str {
        match self {
            Self::Push => "POST",
            Self::Yank => "DELETE",
            _ => "GET, HEAD",
        }
    }
}

fn target(rest: &str) -> Option<Target> {
    let path = percent_decode_str(rest).decode_utf8().ok()?;
    let owned = |s: &str| s.to_string();
    Some(match path.split('/').collect::<Vec<_>>().as_slice() {
        [""] => Target::Root,
        ["api", "v1", "gems"] => Target::Push,
        ["api", "v1", "gems", "yank"] => Target::Yank,
        ["api", "v1", "dependencies"] => Target::Dependencies { json: false },
        ["api", "v1", "dependencies.json"] => Target::Dependencies { json: true },
        ["names"] => Target::Names,
        ["versions"] => Target::Versions,
        ["info", name] if !name.is_empty() => Target::Info { name: owned(name) },
        ["specs.4.8.gz"] => Target::Specs(SpecsKind::All),
        ["latest_specs.4.8.gz"] => Target::Specs(SpecsKind::Latest),
        ["prerelease_specs.4.8.gz"] => Target::Specs(SpecsKind::Prerelease),
        ["quick", "Marshal.4.8", file] => Target::QuickSpec {
            stem: owned(file.strip_suffix(".gemspec.rz")?),
        },
        ["gems", file] if file.ends_with(".gem") => Target::Gem { file: owned(file) },
        _ => return None,
    })
}

/// The value of `key` in a query string or form body (`+` is a space).
fn param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| {
            percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

fn bytes_response(body: Vec<u8>, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn text(body: String) -> Response<Body> {
    bytes_response(body.into_bytes(), "text/plain; charset=utf-8")
}

pub(crate) async fn serve(
    state: &NativeState,
    caller: &Caller,
    endpoint: &Endpoint<'_>,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let svc = &state.service;
    let (target, repo) = crate::resolve(state, caller, endpoint, "RubyGems", target).await?;
    let allow = target.allow();
    match (req.method().clone(), target) {
        (Method::GET | Method::HEAD, Target::Root) => Ok(text(format!(
            "RubyGems repository {}: use this URL as a gem source.\n",
            repo.name()
        ))),
        (Method::POST, Target::Push) => push(state, &repo, req).await,
        (Method::DELETE, Target::Yank) => yank(state, &repo, req).await,
        (Method::GET | Method::HEAD, Target::Dependencies { json }) => {
            let gems = req
                .uri()
                .query()
                .and_then(|q| param(q, "gems"))
                .unwrap_or_default();
            let names: Vec<String> = gems
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect();
            if names.len() > MAX_DEPENDENCY_NAMES {
                return Err(NativeError::BadRequest(format!(
                    "Too many gems requested ({}); ask for at most {MAX_DEPENDENCY_NAMES} at a time.",
                    names.len()
                )));
            }
            if names.is_empty() && !json {
                return Ok(bytes_response(Vec::new(), "application/octet-stream"));
            }
            let found = svc.ruby_dependencies(&repo, &names).await?;
            if json {
                let entries: Vec<_> = found
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "name": e.name, "number": e.number, "platform": e.platform,
                            "dependencies": e.dependencies,
                        })
                    })
                    .collect();
                Ok(bytes_response(
                    serde_json::to_vec(&entries).unwrap_or_default(),
                    "application/json",
                ))
            } else {
                Ok(bytes_response(
                    arca_service::ruby::dependencies_marshal(&found),
                    "application/octet-stream",
                ))
            }
        }
        (Method::GET | Method::HEAD, Target::Names) => {
            Ok(range::respond(req.headers(), svc.ruby_names(&repo).await?))
        }
        (Method::GET | Method::HEAD, Target::Versions) => Ok(range::respond(
            req.headers(),
            svc.ruby_versions(&repo).await?,
        )),
        (Method::GET | Method::HEAD, Target::Info { name }) => Ok(range::respond(
            req.headers(),
            svc.ruby_info(&repo, &name).await?,
        )),
        (Method::GET | Method::HEAD, Target::Specs(kind)) => Ok(bytes_response(
            svc.ruby_specs(&repo, kind).await?,
            "application/octet-stream",
        )),
        (Method::GET | Method::HEAD, Target::QuickSpec { stem }) => Ok(bytes_response(
            svc.ruby_quick_spec(&repo, &stem).await?,
            "application/octet-stream",
        )),
        (Method::GET | Method::HEAD, Target::Gem { file }) => Ok(crate::body::download(
            svc.ruby_download(&repo, &file).await?,
        )),
        (m, _) => Err(NativeError::MethodNotAllowed {
            allow,
            message: format!("{m} is not allowed here; allowed: {allow}."),
        }),
    }
}

/// `gem push`: the body is the `.gem`.
async fn push(
    state: &NativeState,
    repo: &NativeRepo,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let max = state.max_publish_bytes;
    let over = std::sync::Arc::new(AtomicBool::new(false));
    let body = crate::body::capped(req.into_body(), max, over.clone());
    let staged = state.service.stage_asset(repo, body).await;
    if over.load(Ordering::SeqCst) {
        return Err(crate::body::too_large(max));
    }
    let pushed = state.service.ruby_push(repo, staged?).await?;
    let title = match pushed.platform.as_str() {
        "ruby" => pushed.version,
        p => format!("{}-{p}", pushed.version),
    };
    Ok(text(format!(
        "Successfully registered gem: {} ({title})",
        pushed.name
    )))
}

/// `gem yank`: `gem_name`, `version` and `platform` in the form body (or the query).
async fn yank(
    state: &NativeState,
    repo: &NativeRepo,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let query = req.uri().query().unwrap_or("").to_string();
    let mut body = req.into_body().into_data_stream();
    let mut form = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| NativeError::BadRequest(format!("The body could not be read: {e}.")))?;
        form.extend_from_slice(&chunk);
        if form.len() > MAX_FORM_BYTES {
            return Err(NativeError::TooLarge(format!(
                "The yank form exceeds {MAX_FORM_BYTES} bytes."
            )));
        }
    }
    let form = String::from_utf8_lossy(&form).into_owned();
    let field = |k: &str| param(&form, k).or_else(|| param(&query, k));
    let (Some(name), Some(version)) = (field("gem_name"), field("version")) else {
        return Err(NativeError::BadRequest(
            "gem yank needs gem_name and version.".into(),
        ));
    };
    let platform = field("platform");
    state
        .service
        .ruby_yank(repo, &name, &version, platform.as_deref())
        .await?;
    Ok(text(format!(
        "Successfully deleted gem: {name} ({version})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let t = |p: &str| target(p);
        assert_eq!(t(""), Some(Target::Root));
        assert_eq!(t("api/v1/gems"), Some(Target::Push));
        assert_eq!(t("api/v1/gems/yank"), Some(Target::Yank));
        assert_eq!(
            t("api/v1/dependencies.json"),
            Some(Target::Dependencies { json: true })
        );
        assert_eq!(
            t("info/kit-core"),
            Some(Target::Info {
                name: "kit-core".into()
            })
        );
        assert_eq!(t("info/"), None);
        assert_eq!(
            t("latest_specs.4.8.gz"),
            Some(Target::Specs(SpecsKind::Latest))
        );
        assert_eq!(
            t("quick/Marshal.4.8/kit-1.0-java.gemspec.rz"),
            Some(Target::QuickSpec {
                stem: "kit-1.0-java".into()
            })
        );
        assert_eq!(t("quick/Marshal.4.8/kit-1.0.gemspec"), None);
        assert_eq!(
            t("gems/kit-1.0.gem"),
            Some(Target::Gem {
                file: "kit-1.0.gem".into()
            })
        );
        assert_eq!(t("gems/kit-1.0.tgz"), None);
        assert_eq!(t("other"), None);
    }

    #[test]
    fn form_fields() {
        let form = "gem_name=kit&version=1.0.0&platform=x86_64-linux";
        assert_eq!(param(form, "gem_name").as_deref(), Some("kit"));
        assert_eq!(param(form, "platform").as_deref(), Some("x86_64-linux"));
        assert_eq!(param("gems=a%2Cb", "gems").as_deref(), Some("a,b"));
        assert_eq!(param(form, "other"), None);
    }
}
