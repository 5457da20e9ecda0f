//! The npm registry protocol below `/npm/d/{domain}-{owner}/{repo}/`:
//!
//! | request | answer |
//! |---|---|
//! | `GET {name}` (`@scope%2fname`, `@scope/name`) | packument, abbreviated for `application/vnd.npm.install-v1+json` |
//! | `GET {name}/-/{file}.tgz` | the tarball, streamed |
//! | `PUT {name}` | `npm publish` |
//! | `GET -/ping` | `{}` |
//! | `GET -/package/{name}/dist-tags` | `{"latest": …, …}` (`npm dist-tag ls`) |
//! | `PUT -/package/{name}/dist-tags/{tag}` (body `"1.0.0"`), `DELETE …/{tag}` | `npm dist-tag add/rm` |
//! | `PUT {name}` without a tarball | `npm deprecate` (the packument sent back, with its `_rev`) |
//! | `PUT {name}/-rev/{rev}`, `DELETE {name}/-/{file}/-rev/{rev}` | `npm unpublish name@version` |
//! | `DELETE {name}/-rev/{rev}` | `npm unpublish name --force` |
//!
//! The full packument carries `_rev`; every write above must send the current one back (a stale
//! or missing revision is a 409, decided by the service).

mod packument;
mod publish;
mod unpublish;

use arca_service::documents::Document;
use arca_service::Caller;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response};
use percent_encoding::percent_decode_str;

use crate::{Endpoint, NativeError, NativeState};

/// What an npm path asks for.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Ping,
    DistTags {
        name: String,
        tag: Option<String>,
    },
    Package {
        name: String,
    },
    Tarball {
        name: String,
        file: String,
    },
    /// `{name}/-rev/{rev}`: the packument as a revision (npm unpublish).
    Revision {
        name: String,
        rev: String,
    },
    /// `{name}/-/{file}/-rev/{rev}`: a tarball as a revision (npm unpublish).
    TarballRevision {
        name: String,
        file: String,
        rev: String,
    },
}

impl Target {
    /// The methods `serve` answers for this target (the `Allow` header of a 405).
    fn allow(&self) -> &'static str {
        match self {
            Self::Ping => "GET, HEAD",
            Self::Package { .. } => "GET, HEAD, PUT",
            Self::Tarball { .. } => "GET, HEAD",
            Self::DistTags { tag: None, .. } => "GET",
            Self::DistTags { tag: Some(_), .. } | Self::Revision { .. } => "PUT, DELETE",
            Self::TarballRevision { .. } => "DELETE",
        }
    }
}

/// Splits a decoded path into the package name (`@scope/name` takes two segments) and the rest.
fn split_name(path: &str) -> Option<(String, Vec<&str>)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let take = if path.starts_with('@') { 2 } else { 1 };
    if segments.len() < take {
        return None;
    }
    Some((segments[..take].join("/"), segments[take..].to_vec()))
}

fn target(rest: &str) -> Option<Target> {
    let path = percent_decode_str(rest).decode_utf8().ok()?;
    if path.trim_end_matches('/') == "-/ping" {
        return Some(Target::Ping);
    }
    if let Some(p) = path.strip_prefix("-/package/") {
        let (name, tail) = split_name(p)?;
        return match tail.as_slice() {
            ["dist-tags"] => Some(Target::DistTags { name, tag: None }),
            ["dist-tags", tag] => Some(Target::DistTags {
                name,
                tag: Some(tag.to_string()),
            }),
            _ => None,
        };
    }
    let (name, tail) = split_name(&path)?;
    match tail.as_slice() {
        [] => Some(Target::Package { name }),
        ["-", file] => Some(Target::Tarball {
            name,
            file: file.to_string(),
        }),
        ["-rev", rev] => Some(Target::Revision {
            name,
            rev: rev.to_string(),
        }),
        ["-", file, "-rev", rev] => Some(Target::TarballRevision {
            name,
            file: file.to_string(),
            rev: rev.to_string(),
        }),
        _ => None,
    }
}

pub(crate) async fn serve(
    state: &NativeState,
    caller: &Caller,
    endpoint: &Endpoint<'_>,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let svc = &state.service;
    let target = target(endpoint.rest)
        .ok_or_else(|| NativeError::NotFound(format!("No npm resource at '{}'.", endpoint.rest)))?;
    if target == Target::Ping {
        return json(&serde_json::json!({}), "application/json");
    }
    let repo = svc
        .native_repository(caller, endpoint.domain, endpoint.owner, endpoint.repository)
        .await?;
    let base = format!(
        "{}{}",
        svc.public_url()?,
        arca_service::endpoint_path(
            arca_service::PackageFormat::Npm,
            endpoint.domain,
            endpoint.owner,
            endpoint.repository
        )
    );
    let method = req.method().clone();
    let allow = target.allow();
    match (method, target) {
        (Method::GET | Method::HEAD, Target::Package { name }) => {
            let abbreviated = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains(packument::ABBREVIATED));
            let kind = if abbreviated {
                "npm-abbreviated"
            } else {
                "npm"
            };
            crate::document::serve(svc, &repo, kind, &name, || async {
                let p = svc.npm_packument(&repo, &name).await?;
                let (body, content_type) = if abbreviated {
                    (packument::abbreviated(&p, &base), packument::ABBREVIATED)
                } else {
                    (packument::full(&p, &base), "application/json")
                };
                Ok(crate::document::Rendered {
                    doc: Document {
                        body: body.into(),
                        content_type,
                    },
                    stale: p.stale.is_some(),
                    sourced: p.sourced,
                })
            })
            .await
        }
        (Method::GET | Method::HEAD, Target::Tarball { name, file }) => Ok(crate::body::download(
            svc.npm_tarball(&repo, &name, &file).await?,
        )),
        (Method::PUT, Target::Package { name }) => {
            // Boxed: a publish's state is large, and would make every read's future as large.
            Box::pin(publish::handle(
                state,
                caller,
                &repo,
                &name,
                req.into_body(),
            ))
            .await
        }
        (Method::GET, Target::DistTags { name, tag: None }) => {
            tags_json(&svc.npm_dist_tags(&repo, &name).await?)
        }
        (
            Method::PUT,
            Target::DistTags {
                name,
                tag: Some(tag),
            },
        ) => {
            let version = tag_version(req.into_body()).await?;
            tags_json(
                &svc.npm_set_dist_tag(caller, &repo, &name, &tag, &version)
                    .await?,
            )
        }
        (
            Method::DELETE,
            Target::DistTags {
                name,
                tag: Some(tag),
            },
        ) => tags_json(&svc.npm_delete_dist_tag(caller, &repo, &name, &tag).await?),
        (Method::PUT, Target::Revision { name, rev }) => {
            let remaining = unpublish::remaining_versions(req.into_body()).await?;
            svc.npm_unpublish_missing(caller, &repo, &name, Some(&rev), &remaining)
                .await?;
            json(&serde_json::json!({"ok": true}), "application/json")
        }
        (Method::DELETE, Target::Revision { name, rev }) => {
            svc.npm_unpublish_package(caller, &repo, &name, Some(&rev))
                .await?;
            json(&serde_json::json!({"ok": true}), "application/json")
        }
        (Method::DELETE, Target::TarballRevision { name, file, rev }) => {
            svc.npm_unpublish_tarball(caller, &repo, &name, &file, Some(&rev))
                .await?;
            json(&serde_json::json!({"ok": true}), "application/json")
        }
        (m, _) => Err(NativeError::MethodNotAllowed {
            allow,
            message: format!("{m} is not supported on this npm resource; use {allow}."),
        }),
    }
}

fn tags_json(
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<Response<Body>, NativeError> {
    json(&serde_json::json!(tags), "application/json")
}

/// Longest `npm dist-tag add` body (a JSON string holding a version).
const MAX_TAG_BODY: usize = 1024;

/// The version `npm dist-tag add` sends: a JSON string.
async fn tag_version(body: Body) -> Result<String, NativeError> {
    let bytes = axum::body::to_bytes(body, MAX_TAG_BODY)
        .await
        .map_err(|_| {
            NativeError::TooLarge(format!(
                "A dist-tag body is a JSON string of at most {MAX_TAG_BODY} bytes."
            ))
        })?;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::String(v)) if !v.is_empty() => Ok(v),
        _ => Err(NativeError::BadRequest(
            "A dist-tag body is the version as a JSON string, e.g. \"1.0.0\".".into(),
        )),
    }
}

fn json(
    value: &serde_json::Value,
    content_type: &'static str,
) -> Result<Response<Body>, NativeError> {
    Ok(json_bytes(value.to_string().into_bytes(), content_type))
}

/// A JSON document already serialized.
fn json_bytes(body: Vec<u8>, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(n: &str) -> Option<Target> {
        Some(Target::Package { name: n.into() })
    }

    #[test]
    fn npm_paths() {
        assert_eq!(target("-/ping"), Some(Target::Ping));
        assert_eq!(target("left-pad"), package("left-pad"));
        assert_eq!(target("left-pad/"), package("left-pad"));
        assert_eq!(target("@acme%2fkit"), package("@acme/kit"));
        assert_eq!(target("@acme%2Fkit/"), package("@acme/kit"));
        assert_eq!(target("@acme/kit"), package("@acme/kit"));
        assert_eq!(
            target("@acme/kit/-/kit-1.0.0.tgz"),
            Some(Target::Tarball {
                name: "@acme/kit".into(),
                file: "kit-1.0.0.tgz".into()
            })
        );
        assert_eq!(
            target("@acme%2fkit/-/kit-1.0.0.tgz"),
            Some(Target::Tarball {
                name: "@acme/kit".into(),
                file: "kit-1.0.0.tgz".into()
            })
        );
        assert_eq!(
            target("-/package/@acme%2fkit/dist-tags"),
            Some(Target::DistTags {
                name: "@acme/kit".into(),
                tag: None
            })
        );
        assert_eq!(
            target("kit/-rev/3-abc"),
            Some(Target::Revision {
                name: "kit".into(),
                rev: "3-abc".into()
            })
        );
        assert_eq!(
            target("@acme/kit/-/kit-1.0.0.tgz/-rev/undefined"),
            Some(Target::TarballRevision {
                name: "@acme/kit".into(),
                file: "kit-1.0.0.tgz".into(),
                rev: "undefined".into()
            })
        );
        assert_eq!(target(""), None);
        assert_eq!(target("@acme"), None);
        assert_eq!(target("kit/extra/path"), None);
    }
}
