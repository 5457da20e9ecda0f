//! The Swift package registry (SE-0292) below `/swift/d/{domain}-{owner}/{repo}/` (the URL of
//! `swift package-registry set`):
//!
//! | request | answer |
//! |---|---|
//! | `GET {scope}/{name}[.json]` | the release list; `Link`: `latest-version`, `canonical`/`alternate` (the latest release's `repositoryURLs`); with `?page=N[&per_page=M]` one page and `first`/`prev`/`next`/`last` |
//! | `GET {scope}/{name}/{version}[.json]` | the release: `resources` (the archive's checksum, its signature), `metadata`, `publishedAt`; `Link`: `latest-version`, `successor-version`, `predecessor-version` |
//! | `GET {scope}/{name}/{version}/Package.swift[?swift-version=X]` | the manifest (`text/x-swift`, `Content-Disposition`), every `Package@swift-X.swift` as a `Link` alternate; 303 to `Package.swift` for a variant the release lacks |
//! | `GET {scope}/{name}/{version}.zip` | the source archive (`Content-Length`, `Content-Disposition`, `Digest: sha-256=…`, the signature headers when signed; one `Range` answered 206, `range.rs`) |
//! | `GET identifiers?url=…` | `{"identifiers": […]}`; 400 without `url`, 404 when none |
//! | `PUT {scope}/{name}/{version}` | publish (`publish.rs`): 201 + `Location` |
//! | `POST login` | 200 when the token is valid (it was checked before routing) |
//! | `OPTIONS` any of them | 204 with `Allow`, and `Link` to the specification (no credentials needed) |
//!
//! HEAD is answered on every GET resource. Every answer carries `Content-Version: 1`; an `Accept`
//! of `application/vnd.swift.registry[.vN][+type]` with an invalid version is a 400, another
//! version a 415. Errors are problem details (`crate::error`, `Wire::Swift`).

mod publish;
mod range;

use arca_service::swift::{self, SwiftManifestAnswer};
use arca_service::Caller;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use base64::Engine;
use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::{Endpoint, NativeError, NativeState};

/// Where the specification is (`service-doc` on OPTIONS).
const SPEC_URL: &str =
    "https://github.com/swiftlang/swift-package-manager/blob/main/Documentation/PackageRegistry/Registry.md";
/// Its OpenAPI description (`service-desc`).
const OPENAPI_URL: &str = "https://github.com/swiftlang/swift-package-manager/blob/main/Documentation/PackageRegistry/registry.openapi.yaml";
/// Releases per page when a client pages without saying how many.
const PER_PAGE: usize = 100;
const MAX_PER_PAGE: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Releases {
        scope: String,
        name: String,
    },
    Release {
        scope: String,
        name: String,
        version: String,
    },
    Manifest {
        scope: String,
        name: String,
        version: String,
    },
    Archive {
        scope: String,
        name: String,
        version: String,
    },
    Identifiers,
    Login,
}

impl Target {
    fn allow(&self) -> &'static str {
        match self {
            Self::Release { .. } => "GET, HEAD, PUT, OPTIONS",
            Self::Login => "POST, OPTIONS",
            _ => "GET, HEAD, OPTIONS",
        }
    }
}

fn bad(why: String) -> NativeError {
    NativeError::BadRequest(why)
}

/// The resource a path names; identities and versions checked (400 when invalid).
fn target(rest: &str) -> Result<Option<Target>, NativeError> {
    let Ok(path) = percent_decode_str(rest).decode_utf8() else {
        return Ok(None);
    };
    let parts: Vec<&str> = path.split('/').collect();
    let id = |scope: &str, name: &str| -> Result<(String, String), NativeError> {
        swift::check_scope(scope).map_err(bad)?;
        swift::check_name(name).map_err(bad)?;
        Ok((scope.to_string(), name.to_string()))
    };
    let version = |v: &str| -> Result<String, NativeError> {
        swift::check_version(v).map_err(bad)?;
        Ok(v.to_string())
    };
    Ok(Some(match parts.as_slice() {
        ["login"] => Target::Login,
        ["identifiers"] => Target::Identifiers,
        [scope, name] => {
            let (scope, name) = id(scope, name.strip_suffix(".json").unwrap_or(name))?;
            Target::Releases { scope, name }
        }
        [scope, name, v] => {
            let (scope, name) = id(scope, name)?;
            if let Some(v) = v.strip_suffix(".zip") {
                let version = version(v)?;
                Target::Archive {
                    scope,
                    name,
                    version,
                }
            } else {
                // `.json` may be appended; a version that itself ends so is taken whole.
                let v = match v.strip_suffix(".json") {
                    Some(bare) if swift::check_version(bare).is_ok() => bare,
                    _ => v,
                };
                let version = version(v)?;
                Target::Release {
                    scope,
                    name,
                    version,
                }
            }
        }
        [scope, name, v, "Package.swift"] => {
            let (scope, name) = id(scope, name)?;
            let version = version(v)?;
            Target::Manifest {
                scope,
                name,
                version,
            }
        }
        _ => return Ok(None),
    }))
}

/// Checks the API version an `Accept` header asks for (SE-0292 §3.5): none, or `1`.
fn check_accept(headers: &HeaderMap) -> Result<(), NativeError> {
    const PREFIX: &str = "application/vnd.swift.registry";
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else {
            return Err(bad("The Accept header is not ASCII.".into()));
        };
        for range in value.split(',') {
            let media = range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let Some(rest) = media.strip_prefix(PREFIX) else {
                continue;
            };
            let (version, kind) = match rest.split_once('+') {
                Some((v, k)) => (v, Some(k)),
                None => (rest, None),
            };
            let version = match version {
                "" => None,
                v => Some(
                    v.strip_prefix(".v")
                        .ok_or_else(|| bad(format!("invalid API version in Accept: {media}")))?,
                ),
            };
            if let Some(v) = version {
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(format!("invalid API version in Accept: {media}")));
                }
                if v.trim_start_matches('0') != "1" {
                    return Err(NativeError::UnsupportedMediaType(format!(
                        "unsupported API version {v}: this registry serves version 1"
                    )));
                }
            }
            if let Some(k) = kind {
                if !matches!(k, "json" | "zip" | "swift") {
                    return Err(NativeError::UnsupportedMediaType(format!(
                        "unsupported media type {media}: json, zip or swift"
                    )));
                }
            }
        }
    }
    Ok(())
}

fn with_version(mut resp: Response<Body>) -> Response<Body> {
    resp.headers_mut()
        .insert("content-version", HeaderValue::from_static("1"));
    resp
}

fn respond(status: StatusCode, content_type: &'static str, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    with_version(resp)
}

fn json_response(v: &serde_json::Value) -> Response<Body> {
    respond(
        StatusCode::OK,
        "application/json",
        Body::from(v.to_string()),
    )
}

fn set(resp: &mut Response<Body>, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

/// A `Link` header value of `(url, rel, extra attributes)`.
fn links(items: &[(String, &str, String)]) -> String {
    items
        .iter()
        .map(|(url, rel, extra)| format!("<{url}>; rel=\"{rel}\"{extra}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn set_links(resp: &mut Response<Body>, items: &[(String, &str, String)]) {
    if !items.is_empty() {
        set(resp, header::LINK, &links(items));
    }
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`.
fn iso8601(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(f).unwrap_or_default()
}

fn query_param(req: &Request, key: &str) -> Option<String> {
    req.uri().query().unwrap_or("").split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| {
            percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `OPTIONS` on any resource of the endpoint: what it allows, and where the specification is.
pub(crate) fn options(e: &Endpoint<'_>) -> Result<Response<Body>, NativeError> {
    let allow = match target(e.rest) {
        Ok(Some(t)) => t.allow(),
        _ => "GET, HEAD, PUT, POST, OPTIONS",
    };
    let mut resp = with_version(Response::new(Body::empty()));
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    set_links(
        &mut resp,
        &[
            (SPEC_URL.to_string(), "service-doc", String::new()),
            (OPENAPI_URL.to_string(), "service-desc", String::new()),
        ],
    );
    Ok(resp)
}

pub(crate) async fn serve(
    state: &NativeState,
    caller: &Caller,
    endpoint: &Endpoint<'_>,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let svc = &state.service;
    check_accept(req.headers())?;
    let target = target(endpoint.rest)?.ok_or_else(|| {
        NativeError::NotFound(format!(
            "No Swift registry resource at '{}'.",
            endpoint.rest
        ))
    })?;
    let repo = endpoint.repository(svc, caller).await?;
    let base = endpoint.url(svc)?;
    let allow = target.allow();
    let get = matches!(*req.method(), Method::GET | Method::HEAD);
    match (req.method().clone(), target) {
        (_, Target::Releases { scope, name }) if get => {
            let list = svc.swift_releases(&repo, &scope, &name).await?;
            releases(&req, &base, &scope, &name, list)
        }
        (
            _,
            Target::Release {
                scope,
                name,
                version,
            },
        ) if get => {
            let r = svc.swift_release(&repo, &scope, &name, &version).await?;
            let at = |v: &str| format!("{base}{scope}/{name}/{v}");
            let mut resource = json!({
                "name": "source-archive",
                "type": "application/zip",
                "checksum": r.checksum,
            });
            if let Some(s) = &r.signing {
                resource["signing"] = json!({
                    "signatureBase64Encoded": s.signature_base64,
                    "signatureFormat": s.format,
                });
            }
            let body = json!({
                "id": r.id,
                "version": r.version,
                "resources": [resource],
                "metadata": r.metadata,
                "publishedAt": iso8601(r.published_ms),
            });
            let mut resp = json_response(&body);
            let rels = [
                (r.latest, "latest-version"),
                (r.successor, "successor-version"),
                (r.predecessor, "predecessor-version"),
            ];
            let items: Vec<_> = rels
                .into_iter()
                .filter_map(|(v, rel)| v.map(|v| (at(&v), rel, String::new())))
                .collect();
            set_links(&mut resp, &items);
            Ok(resp)
        }
        (
            _,
            Target::Manifest {
                scope,
                name,
                version,
            },
        ) if get => {
            let swift_version = query_param(&req, "swift-version");
            let answer = svc
                .swift_manifest(&repo, &scope, &name, &version, swift_version.as_deref())
                .await?;
            let url = format!("{base}{scope}/{name}/{version}/Package.swift");
            let m = match answer {
                SwiftManifestAnswer::Found(m) => m,
                SwiftManifestAnswer::NoSuchVariant => {
                    let mut resp = with_version(Response::new(Body::empty()));
                    *resp.status_mut() = StatusCode::SEE_OTHER;
                    set(&mut resp, header::LOCATION, &url);
                    return Ok(resp);
                }
            };
            let len = m.bytes.len();
            let mut resp = respond(StatusCode::OK, "text/x-swift", Body::from(m.bytes));
            set(
                &mut resp,
                header::CONTENT_DISPOSITION,
                &format!("attachment; filename=\"{}\"", m.file_name),
            );
            resp.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, immutable"),
            );
            let items: Vec<_> = m
                .alternates
                .iter()
                .map(|a| {
                    let mut extra = format!("; filename=\"{}\"", a.file_name);
                    if let Some(t) = &a.tools_version {
                        extra.push_str(&format!("; swift-tools-version=\"{t}\""));
                    }
                    (
                        format!("{url}?swift-version={}", a.swift_version),
                        "alternate",
                        extra,
                    )
                })
                .collect();
            set_links(&mut resp, &items);
            Ok(resp)
        }
        (
            _,
            Target::Archive {
                scope,
                name,
                version,
            },
        ) if get => {
            let a = svc.swift_archive(&repo, &scope, &name, &version).await?;
            let size = a.download.size;
            let asked = req
                .headers()
                .get(header::RANGE)
                .and_then(|v| v.to_str().ok());
            let ranged = size.map_or(range::Ranged::Whole, |n| range::parse(asked, n));
            let (download, part) = match ranged {
                range::Ranged::Whole => (a.download, None),
                range::Ranged::Part { start, end } => {
                    (range::slice(a.download, start, end), Some((start, end)))
                }
                range::Ranged::Unsatisfiable => {
                    return Err(NativeError::RangeNotSatisfiable {
                        size: size.unwrap_or_default(),
                    })
                }
            };
            let mut resp = with_version(crate::body::download(download));
            if let (Some((start, end)), Some(n)) = (part, size) {
                *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
                set(
                    &mut resp,
                    header::CONTENT_RANGE,
                    &format!("bytes {start}-{end}/{n}"),
                );
            }
            let h = resp.headers_mut();
            h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, immutable"),
            );
            let digest = hex::decode(&a.sha256)
                .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
                .unwrap_or_default();
            set(&mut resp, "digest", &format!("sha-256={digest}"));
            set(
                &mut resp,
                header::CONTENT_DISPOSITION,
                &format!("attachment; filename=\"{}\"", a.file_name),
            );
            if let Some(s) = &a.signing {
                set(&mut resp, "x-swift-package-signature-format", &s.format);
                set(&mut resp, "x-swift-package-signature", &s.signature_base64);
            }
            Ok(resp)
        }
        (_, Target::Identifiers) if get => {
            let url = query_param(&req, "url")
                .filter(|u| !u.trim().is_empty())
                .ok_or_else(|| bad("The url query parameter is required.".into()))?;
            let ids = svc.swift_identifiers(&repo, &url).await?;
            if ids.is_empty() {
                return Err(NativeError::NotFound(format!(
                    "No package identifiers are registered for {url}."
                )));
            }
            Ok(json_response(&json!({ "identifiers": ids })))
        }
        (
            Method::PUT,
            Target::Release {
                scope,
                name,
                version,
            },
        ) => publish::handle(state, &repo, &base, req, scope, name, version).await,
        (Method::POST, Target::Login) => Ok(respond(
            StatusCode::OK,
            "application/json",
            Body::from(json!({"detail": "the token is valid"}).to_string()),
        )),
        (m, _) => Err(NativeError::MethodNotAllowed {
            allow,
            message: format!("{m} is not supported on this Swift registry resource; use {allow}."),
        }),
    }
}

/// Endpoint 1's answer: all releases, or one page of them when the client asks for pages.
fn releases(
    req: &Request,
    base: &str,
    scope: &str,
    name: &str,
    list: swift::SwiftReleaseList,
) -> Result<Response<Body>, NativeError> {
    let package_url = format!("{base}{scope}/{name}");
    let number = |key: &str| -> Result<Option<usize>, NativeError> {
        query_param(req, key)
            .map(|v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| bad(format!("{key} must be a positive integer.")))
            })
            .transpose()
    };
    let page = number("page")?;
    let per_page = number("per_page")?.unwrap_or(PER_PAGE).min(MAX_PER_PAGE);
    let total = list.releases.len();
    let (shown, paging) = match page {
        None => (&list.releases[..], None),
        Some(p) => {
            let last = total.div_ceil(per_page).max(1);
            let from = ((p - 1) * per_page).min(total);
            let to = (from + per_page).min(total);
            (&list.releases[from..to], Some((p, last)))
        }
    };
    // Written by hand: the releases keep their order of precedence (a JSON map would sort them).
    let mut body = String::from("{\"releases\":{");
    for (i, r) in shown.iter().enumerate() {
        let mut entry = json!({ "url": format!("{package_url}/{}", r.version) });
        if let Some(why) = &r.gone {
            entry["problem"] = json!({"status": 410, "title": "Gone", "detail": why});
        }
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!("{}:{entry}", json!(r.version)));
    }
    body.push_str("}}");
    let mut resp = respond(StatusCode::OK, "application/json", Body::from(body));
    let mut items = Vec::new();
    if let Some(latest) = &list.latest {
        items.push((
            format!("{package_url}/{latest}"),
            "latest-version",
            String::new(),
        ));
    }
    // Only URLs a header can carry as they are; the others would spoil the whole `Link`.
    let linkable = |u: &&String| {
        u.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
    };
    for (i, url) in list.repository_urls.iter().filter(linkable).enumerate() {
        let rel = if i == 0 { "canonical" } else { "alternate" };
        items.push((url.clone(), rel, String::new()));
    }
    if let Some((p, last)) = paging {
        let page_url = |n: usize| format!("{package_url}?page={n}&per_page={per_page}");
        items.push((page_url(1), "first", String::new()));
        if p > 1 {
            items.push((page_url((p - 1).min(last)), "prev", String::new()));
        }
        if p < last {
            items.push((page_url(p + 1), "next", String::new()));
        }
        items.push((page_url(last), "last", String::new()));
    }
    set_links(&mut resp, &items);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<Target> {
        target(s).unwrap()
    }

    #[test]
    fn swift_paths() {
        let (scope, name) = ("mona".to_string(), "LinkedList".to_string());
        assert_eq!(
            t("mona/LinkedList"),
            Some(Target::Releases {
                scope: scope.clone(),
                name: name.clone()
            })
        );
        assert_eq!(t("mona/LinkedList.json"), t("mona/LinkedList"));
        let release = |v: &str| Target::Release {
            scope: scope.clone(),
            name: name.clone(),
            version: v.into(),
        };
        assert_eq!(t("mona/LinkedList/1.1.1"), Some(release("1.1.1")));
        assert_eq!(t("mona/LinkedList/1.1.1.json"), Some(release("1.1.1")));
        assert_eq!(
            t("mona/LinkedList/1.0.0-rc.json"),
            Some(release("1.0.0-rc"))
        );
        assert_eq!(t("mona/LinkedList/1.0.0%2Bb5"), Some(release("1.0.0+b5")));
        assert_eq!(
            t("mona/LinkedList/1.1.1.zip"),
            Some(Target::Archive {
                scope: scope.clone(),
                name: name.clone(),
                version: "1.1.1".into()
            })
        );
        assert_eq!(
            t("mona/LinkedList/1.1.1/Package.swift"),
            Some(Target::Manifest {
                scope: scope.clone(),
                name: name.clone(),
                version: "1.1.1".into()
            })
        );
        assert_eq!(t("identifiers"), Some(Target::Identifiers));
        assert_eq!(t("login"), Some(Target::Login));
        assert_eq!(t(""), None);
        assert_eq!(t("mona/LinkedList/1.1.1/Other.swift"), None);
        assert!(target("mo--na/LinkedList").is_err());
        assert!(target("mona/Linked.List").is_err());
        assert!(target("mona/LinkedList/1.0").is_err());
        assert!(target("mona/LinkedList/1.0.zip").is_err());
    }

    fn accept(v: &str) -> Result<(), NativeError> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, v.parse().unwrap());
        check_accept(&h)
    }

    #[test]
    fn api_versions() {
        for ok in [
            "application/vnd.swift.registry.v1+json",
            "application/vnd.swift.registry.v1+zip",
            "application/vnd.swift.registry.v1+swift",
            "application/vnd.swift.registry.v1",
            "application/vnd.swift.registry+json",
            "application/vnd.swift.registry",
            "application/json, */*;q=0.1",
            "text/html",
        ] {
            assert!(accept(ok).is_ok(), "{ok}");
        }
        assert!(check_accept(&HeaderMap::new()).is_ok());
        for invalid in [
            "application/vnd.swift.registry.vx+json",
            "application/vnd.swift.registry.v+json",
            "application/vnd.swift.registry.1+json",
            "application/vnd.swift.registry.v1.2+json",
        ] {
            let e = accept(invalid).unwrap_err();
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{invalid}");
        }
        for unsupported in [
            "application/vnd.swift.registry.v2+json",
            "application/vnd.swift.registry.v99",
            "application/vnd.swift.registry.v1+xml",
        ] {
            let e = accept(unsupported).unwrap_err();
            assert_eq!(
                e.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{unsupported}"
            );
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(iso8601(1_676_520_000_123), "2023-02-16T04:00:00.123Z");
    }
}
