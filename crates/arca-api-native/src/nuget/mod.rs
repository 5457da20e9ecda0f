//! NuGet v3 below `/nuget/d/{domain}-{owner}/{repo}/` (the source URL is `{endpoint}v3/index.json`):
//!
//! | request | answer |
//! |---|---|
//! | `GET v3/index.json` | the service index: PackagePublish, PackageBaseAddress, every RegistrationsBaseUrl variant |
//! | `PUT v2/package` | `nuget push` (multipart, `publish.rs`): 201, 409 on an existing version, 400 on an invalid package |
//! | `DELETE v2/package/{id}/{version}`, `POST …` | `nuget delete` (unlists: the version becomes Unlisted; 204) and relist (Published; 200) |
//! | `GET v3/registration/{id}/index.json`, `…/page/{lower}/{upper}.json`, `…/{version}.json` | registrations (`registration.rs`) |
//! | `GET v3/package/{id}/index.json` | the flat container's version list (normalized, lowercased, ascending) |
//! | `GET v3/package/{id}/{version}/{id}.{version}.nupkg` | the package, streamed |
//! | `GET v3/package/{id}/{version}/{id}.nuspec` | the manifest from inside the package |
//!
//! Authentication is NuGet's challenge flow: a request without credentials gets 401 with
//! `WWW-Authenticate: Basic` (`crate::error`), on which NuGet retries with the source's
//! credentials; the token comes as a Basic password, a Bearer token or `X-NuGet-ApiKey`
//! (`crate::auth`).

mod publish;
mod registration;

use arca_service::{nuget, Caller};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::body::json_response;
use crate::{Endpoint, NativeError, NativeState};

#[derive(Debug, PartialEq, Eq)]
enum Target {
    ServiceIndex,
    Publish,
    Listing {
        id: String,
        version: String,
    },
    FlatIndex {
        id: String,
    },
    Nupkg {
        id: String,
        version: String,
    },
    Nuspec {
        id: String,
        version: String,
    },
    RegIndex {
        id: String,
    },
    RegPage {
        id: String,
        lower: String,
        upper: String,
    },
    RegLeaf {
        id: String,
        version: String,
    },
}

impl Target {
    fn allow(&self) -> &'static str {
        match self {
            Self::Publish => "PUT",
            Self::Listing { .. } => "DELETE, POST",
            _ => "GET, HEAD",
        }
    }
}

fn target(rest: &str) -> Option<Target> {
    let path = percent_decode_str(rest).decode_utf8().ok()?;
    let owned = |s: &str| s.to_string();
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["v3", "index.json"] => Some(Target::ServiceIndex),
        ["v2", "package"] | ["v2", "package", ""] => Some(Target::Publish),
        ["v2", "package", id, version] => Some(Target::Listing {
            id: owned(id),
            version: owned(version),
        }),
        ["v3", "package", id, "index.json"] => Some(Target::FlatIndex { id: owned(id) }),
        ["v3", "registration", id, "index.json"] => Some(Target::RegIndex { id: owned(id) }),
        ["v3", "registration", id, "page", lower, upper] => Some(Target::RegPage {
            id: owned(id),
            lower: owned(lower),
            upper: owned(upper.strip_suffix(".json")?),
        }),
        ["v3", "registration", id, leaf] => Some(Target::RegLeaf {
            id: owned(id),
            version: owned(leaf.strip_suffix(".json")?),
        }),
        ["v3", "package", id, version, file] => {
            let (lower_id, lower_version) = (id.to_lowercase(), version.to_lowercase());
            let file = file.to_lowercase();
            let (id, version) = (owned(id), owned(version));
            if file == format!("{lower_id}.{lower_version}.nupkg") {
                Some(Target::Nupkg { id, version })
            } else if file == nuget::nuspec_name(&lower_id) {
                Some(Target::Nuspec { id, version })
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Every `RegistrationsBaseUrl` variant; all are served at one base (§B3.1).
const REGISTRATION_TYPES: [&str; 6] = [
    "RegistrationsBaseUrl",
    "RegistrationsBaseUrl/3.0.0-beta",
    "RegistrationsBaseUrl/3.0.0-rc",
    "RegistrationsBaseUrl/3.4.0",
    "RegistrationsBaseUrl/3.6.0",
    "RegistrationsBaseUrl/Versioned",
];

/// The service index: every resource a client may pick, by `@type`.
fn service_index(url: &str) -> serde_json::Value {
    let publish = format!("{url}v2/package");
    let flat = format!("{url}v3/package/");
    let registration = format!("{url}v3/registration/");
    let mut resources = vec![
        json!({"@id": publish, "@type": "PackagePublish/2.0.0", "comment": "nuget push, delete and relist"}),
        json!({"@id": flat, "@type": "PackageBaseAddress/3.0.0", "comment": "the flat container: versions, .nupkg and .nuspec"}),
    ];
    for t in REGISTRATION_TYPES {
        resources.push(json!({"@id": registration, "@type": t, "comment": "registrations, SemVer 2.0 versions included"}));
    }
    json!({"version": "3.0.0", "resources": resources})
}

pub(crate) async fn serve(
    state: &NativeState,
    caller: &Caller,
    endpoint: &Endpoint<'_>,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let svc = &state.service;
    let target = target(endpoint.rest).ok_or_else(|| {
        NativeError::NotFound(format!("No NuGet resource at '{}'.", endpoint.rest))
    })?;
    let repo = endpoint.repository(svc, caller).await?;
    let allow = target.allow();
    match (req.method().clone(), target) {
        (Method::GET | Method::HEAD, Target::ServiceIndex) => {
            Ok(json_response(&service_index(&endpoint.url(svc)?)))
        }
        (Method::PUT, Target::Publish) => publish::handle(state, &repo, req).await,
        (Method::DELETE, Target::Listing { id, version }) => {
            svc.nuget_set_unlisted(&repo, &id, &version, true).await?;
            Ok(status_only(StatusCode::NO_CONTENT))
        }
        (Method::POST, Target::Listing { id, version }) => {
            svc.nuget_set_unlisted(&repo, &id, &version, false).await?;
            Ok(status_only(StatusCode::OK))
        }
        (Method::GET | Method::HEAD, Target::FlatIndex { id }) => {
            let versions = svc.nuget_flat_versions(&repo, &id).await?;
            Ok(json_response(&json!({ "versions": versions })))
        }
        (Method::GET | Method::HEAD, Target::RegIndex { id }) => {
            let reg = svc.nuget_registration(&repo, &id).await?;
            let url = endpoint.url(svc)?;
            Ok(json_response(&registration::index(&reg, &urls(&url, &id))))
        }
        (Method::GET | Method::HEAD, Target::RegPage { id, lower, upper }) => {
            let reg = svc.nuget_registration(&repo, &id).await?;
            let url = endpoint.url(svc)?;
            registration::page_of(&reg, &urls(&url, &id), &lower, &upper)
                .map(|p| json_response(&p))
                .ok_or_else(|| {
                    NativeError::NotFound(format!(
                        "No registration page {lower}..{upper} of '{id}'."
                    ))
                })
        }
        (Method::GET | Method::HEAD, Target::RegLeaf { id, version }) => {
            let reg = svc.nuget_registration(&repo, &id).await?;
            let url = endpoint.url(svc)?;
            let version = nuget::normalize_version(&version).unwrap_or(version);
            registration::leaf(&reg, &urls(&url, &id), &version)
                .map(|p| json_response(&p))
                .ok_or_else(|| {
                    NativeError::NotFound(format!("'{id}' has no version {version} here."))
                })
        }
        (Method::GET | Method::HEAD, Target::Nupkg { id, version }) => {
            let d = svc.nuget_download(&repo, &id, &version).await?;
            Ok(crate::body::download(d))
        }
        (Method::GET | Method::HEAD, Target::Nuspec { id, version }) => {
            let bytes = svc.nuget_nuspec(&repo, &id, &version).await?;
            let mut resp = Response::new(Body::from(bytes));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            );
            Ok(resp)
        }
        (m, _) => Err(NativeError::MethodNotAllowed {
            allow,
            message: format!("{m} is not supported on this NuGet resource; use {allow}."),
        }),
    }
}

fn status_only(status: StatusCode) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp
}

fn urls<'a>(url: &'a str, id: &str) -> registration::Urls<'a> {
    registration::Urls {
        url,
        lower_id: id.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuget_paths() {
        let t = target;
        assert_eq!(t("v3/index.json"), Some(Target::ServiceIndex));
        assert_eq!(t("v2/package"), Some(Target::Publish));
        assert_eq!(t("v2/package/"), Some(Target::Publish));
        assert_eq!(
            t("v3/package/kit.core/index.json"),
            Some(Target::FlatIndex {
                id: "kit.core".into()
            })
        );
        assert_eq!(
            t("v3/package/kit.core/1.0.0-beta/kit.core.1.0.0-beta.nupkg"),
            Some(Target::Nupkg {
                id: "kit.core".into(),
                version: "1.0.0-beta".into()
            })
        );
        assert_eq!(
            t("v3/package/Kit.Core/1.0.0/kit.core.nuspec"),
            Some(Target::Nuspec {
                id: "Kit.Core".into(),
                version: "1.0.0".into()
            })
        );
        assert_eq!(t("v3/package/kit.core/1.0.0/other.1.0.0.nupkg"), None);
        assert_eq!(t("v3/package/kit.core/1.0.0/other.nuspec"), None);
        assert_eq!(t("v3"), None);
        assert_eq!(t(""), None);
    }
}
