//! The PyPI protocols below `/pypi/d/{domain}-{owner}/{repo}/`:
//!
//! | request | answer |
//! |---|---|
//! | `GET simple/` | every project (PEP 503 HTML or PEP 691 JSON by `Accept`) |
//! | `GET simple/{project}/` | the project page, merged with the upstreams' (`Warning` when a source's copy is stale); another spelling redirects to the normalized one |
//! | `GET simple/{project}/{version}/{file}` | the file, streamed (retained from the upstreams first if not held) |
//! | `GET simple/{project}/{version}/{wheel}.metadata` | the wheel's METADATA (PEP 658) |
//! | `POST` (the endpoint itself, or `legacy/`) | `twine upload` (`:action=file_upload`) |

mod simple;
mod upload;

use arca_service::documents::Document;
use arca_service::{pypi, Caller};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use percent_encoding::percent_decode_str;

use crate::{Endpoint, NativeError, NativeState};

/// What PEP 658 appends to a file's URL for its core metadata.
const METADATA_SUFFIX: &str = ".metadata";

#[derive(Debug, PartialEq, Eq)]
enum Target {
    Upload,
    Index,
    Project {
        name: String,
    },
    File {
        name: String,
        version: String,
        file: String,
    },
}

impl Target {
    /// The methods `serve` answers for this target (the `Allow` header of a 405).
    fn allow(&self) -> &'static str {
        match self {
            Self::Upload => "POST",
            Self::Index | Self::Project { .. } | Self::File { .. } => "GET, HEAD",
        }
    }
}

fn target(rest: &str) -> Option<Target> {
    let path = percent_decode_str(rest).decode_utf8().ok()?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] | ["legacy"] => Some(Target::Upload),
        ["simple"] => Some(Target::Index),
        ["simple", name] => Some(Target::Project {
            name: name.to_string(),
        }),
        ["simple", name, version, file] => Some(Target::File {
            name: name.to_string(),
            version: version.to_string(),
            file: file.to_string(),
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
    let target = target(endpoint.rest).ok_or_else(|| {
        NativeError::NotFound(format!("No PyPI resource at '{}'.", endpoint.rest))
    })?;
    let repo = svc
        .native_repository(caller, endpoint.domain, endpoint.owner, endpoint.repository)
        .await?;
    let json = simple::wants_json(
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let allow = target.allow();
    match (req.method().clone(), target) {
        // Boxed: an upload's state is large, and would make every read's future as large.
        (Method::POST, Target::Upload) => Box::pin(upload::handle(state, &repo, req)).await,
        (Method::GET | Method::HEAD, Target::Index) => {
            let projects = svc.pypi_projects(&repo).await?;
            if json {
                page(simple::index_json(&projects).to_string(), simple::JSON)
            } else {
                page(simple::index_html(&projects), simple::HTML)
            }
        }
        (Method::GET | Method::HEAD, Target::Project { name }) => {
            let normalized = pypi::normalize(&name);
            if normalized != name {
                // pip follows this to the one page every spelling shares (PEP 503).
                return redirect(&format!("../{normalized}/"));
            }
            let kind = if json { "pypi-json" } else { "pypi-html" };
            crate::document::serve(svc, &repo, kind, &name, || async {
                let project = svc.pypi_project(&repo, &name).await?;
                let (body, content_type) = if json {
                    (simple::project_json(&project).to_string(), simple::JSON)
                } else {
                    (simple::project_html(&project), simple::HTML)
                };
                Ok(crate::document::Rendered {
                    doc: Document {
                        body: body.into(),
                        content_type,
                    },
                    stale: project.stale.is_some(),
                    sourced: project.sourced,
                })
            })
            .await
        }
        (
            Method::GET | Method::HEAD,
            Target::File {
                name,
                version,
                file,
            },
        ) => {
            if let Some(wheel) = file.strip_suffix(METADATA_SUFFIX) {
                let m = svc
                    .pypi_file_metadata(&repo, &name, &version, wheel)
                    .await?;
                return page_bytes(m.bytes.clone(), "text/plain; charset=utf-8");
            }
            let d = svc.pypi_file(&repo, &name, &version, &file).await?;
            Ok(crate::body::download(d))
        }
        (m, _) => Err(NativeError::MethodNotAllowed {
            allow,
            message: format!("{m} is not supported on this PyPI resource; use {allow}."),
        }),
    }
}

fn page(body: String, content_type: &'static str) -> Result<Response<Body>, NativeError> {
    page_bytes(body.into(), content_type)
}

fn page_bytes(
    body: bytes::Bytes,
    content_type: &'static str,
) -> Result<Response<Body>, NativeError> {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(resp)
}

fn redirect(location: &str) -> Result<Response<Body>, NativeError> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let location = HeaderValue::from_str(location)
        .map_err(|_| NativeError::BadRequest("Invalid project name.".into()))?;
    resp.headers_mut().insert(header::LOCATION, location);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_paths() {
        assert_eq!(target(""), Some(Target::Upload));
        assert_eq!(target("legacy/"), Some(Target::Upload));
        assert_eq!(target("simple/"), Some(Target::Index));
        assert_eq!(
            target("simple/Kit_Core/"),
            Some(Target::Project {
                name: "Kit_Core".into()
            })
        );
        assert_eq!(
            target("simple/kit/1.0%2Blocal/kit-1.0%2Blocal.tar.gz"),
            Some(Target::File {
                name: "kit".into(),
                version: "1.0+local".into(),
                file: "kit-1.0+local.tar.gz".into()
            })
        );
        assert_eq!(target("simple/kit/1.0"), None);
        assert_eq!(target("other"), None);
    }
}
