//! NuGet v3 below `/nuget/d/{domain}-{owner}/{repo}/` (the source URL is `{endpoint}v3/index.json`):
//!
//! | request | answer |
//! |---|---|
//! | `GET v3/index.json` | the service index: PackagePublish, PackageBaseAddress, every RegistrationsBaseUrl variant |
//! | `PUT v2/package` | `nuget push` (multipart, `publish.rs`): 201, 409 on an existing version, 400 on an invalid package |
//! | `DELETE v2/package/{id}/{version}`, `POST …` | `nuget delete` (unlists: the version becomes Unlisted; 204) and relist (Published; 200) |
//! | `GET v3/search?q=&skip=&take=&prerelease=&semVerLevel=`, `GET v3/autocomplete?…[&id=]` | search and autocomplete |
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
    Search,
    Autocomplete,
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
        ["v3", "search"] => Some(Target::Search),
        ["v3", "autocomplete"] => Some(Target::Autocomplete),
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

const SEARCH_TYPES: [&str; 4] = [
    "SearchQueryService",
    "SearchQueryService/3.0.0-beta",
    "SearchQueryService/3.0.0-rc",
    "SearchQueryService/3.5.0",
];
const AUTOCOMPLETE_TYPES: [&str; 3] = [
    "SearchAutocompleteService",
    "SearchAutocompleteService/3.0.0-beta",
    "SearchAutocompleteService/3.0.0-rc",
];
/// Results of a search when the client does not say (`take`), and at most.
const TAKE_DEFAULT: usize = 20;
const TAKE_MAX: usize = 1000;

/// The query parameter `k`, decoded (`+` is a space).
fn param(query: &str, k: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (key, v) = kv.split_once('=').unwrap_or((kv, ""));
        (key == k).then(|| {
            percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `q`, `skip`, `take`, `prerelease` and `semVerLevel` of a search or autocomplete; a malformed
/// number or boolean is a 400.
fn search_query(query: &str) -> Result<(nuget::NugetQuery, usize, usize), NativeError> {
    let number = |k: &str, default: usize| -> Result<usize, NativeError> {
        param(query, k)
            .filter(|v| !v.is_empty())
            .map_or(Ok(default), |v| {
                v.parse().map_err(|_| {
                    NativeError::BadRequest(format!(
                        "'{k}' must be a non-negative integer, not '{v}'."
                    ))
                })
            })
    };
    let prerelease = match param(query, "prerelease")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(NativeError::BadRequest(format!(
                "'prerelease' must be true or false, not '{v}'."
            )))
        }
    };
    let semver2 = param(query, "semVerLevel").is_some_and(|v| {
        v.split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
            .is_some_and(|m| m >= 2)
    });
    let q = nuget::NugetQuery {
        q: param(query, "q").unwrap_or_default(),
        prerelease,
        semver2,
    };
    Ok((
        q,
        number("skip", 0)?,
        number("take", TAKE_DEFAULT)?.min(TAKE_MAX),
    ))
}

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
    for t in SEARCH_TYPES {
        resources.push(json!({"@id": format!("{url}v3/search"), "@type": t, "comment": "search"}));
    }
    for t in AUTOCOMPLETE_TYPES {
        resources.push(
            json!({"@id": format!("{url}v3/autocomplete"), "@type": t, "comment": "autocomplete"}),
        );
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
            let flat = svc.nuget_flat_versions(&repo, &id).await?;
            let resp = json_response(&json!({ "versions": flat.versions }));
            Ok(stale_marked(resp, flat.stale.is_some()))
        }
        (Method::GET | Method::HEAD, Target::Search) => {
            let (query, skip, take) = search_query(req.uri().query().unwrap_or(""))?;
            let hits = svc.nuget_search(&repo, &query).await?;
            let url = endpoint.url(svc)?;
            let data: Vec<_> = hits
                .iter()
                .skip(skip)
                .take(take)
                .map(|h| search_hit(&url, h))
                .collect();
            Ok(json_response(
                &json!({"totalHits": hits.len(), "data": data}),
            ))
        }
        (Method::GET | Method::HEAD, Target::Autocomplete) => {
            let query = req.uri().query().unwrap_or("");
            let (mut q, skip, take) = search_query(query)?;
            // `id=`: the versions of one package; else package ids.
            let data: Vec<String> = match param(query, "id") {
                Some(id) => {
                    q.q = id.to_lowercase();
                    let hits = svc.nuget_search(&repo, &q).await?;
                    hits.into_iter()
                        .find(|h| h.id.eq_ignore_ascii_case(&id))
                        .map(|h| h.versions)
                        .unwrap_or_default()
                }
                None => svc
                    .nuget_search(&repo, &q)
                    .await?
                    .into_iter()
                    .map(|h| h.id)
                    .collect(),
            };
            let page: Vec<_> = data.iter().skip(skip).take(take).collect();
            Ok(json_response(
                &json!({"totalHits": data.len(), "data": page}),
            ))
        }
        (Method::GET | Method::HEAD, Target::RegIndex { id }) => {
            let reg = svc.nuget_registration(&repo, &id).await?;
            let url = endpoint.url(svc)?;
            Ok(registration::respond(
                &reg,
                &registration::index(&reg, &urls(&url, &id)),
                req.headers(),
            ))
        }
        (Method::GET | Method::HEAD, Target::RegPage { id, lower, upper }) => {
            let reg = svc.nuget_registration(&repo, &id).await?;
            let url = endpoint.url(svc)?;
            registration::page_of(&reg, &urls(&url, &id), &lower, &upper)
                .map(|p| registration::respond(&reg, &p, req.headers()))
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
                .map(|p| registration::respond(&reg, &p, req.headers()))
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

/// An answer built from a stale copy of a source's documents carries a `Warning`.
pub(super) fn stale_marked(mut resp: Response<Body>, stale: bool) -> Response<Body> {
    if stale {
        resp.headers_mut().insert(
            header::WARNING,
            HeaderValue::from_static(arca_service::upstream::STALE_WARNING),
        );
    }
    resp
}

/// A search result as the search resource shapes it (downloads are not counted: 0).
fn search_hit(url: &str, h: &nuget::NugetSearchHit) -> serde_json::Value {
    let u = urls(url, &h.id);
    let versions: Vec<_> = h
        .versions
        .iter()
        .map(|v| json!({"version": v, "downloads": 0, "@id": u.leaf(v)}))
        .collect();
    let mut hit = json!({
        "@id": u.index(),
        "@type": "Package",
        "registration": u.index(),
        "id": h.id,
        "version": h.versions.last(),
        "versions": versions,
        "description": h.description.clone().unwrap_or_default(),
        "totalDownloads": 0,
        "verified": false,
        "packageTypes": [{"name": "Dependency"}],
    });
    if let Some(p) = &h.project_url {
        hit["projectUrl"] = json!(p);
    }
    hit
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
