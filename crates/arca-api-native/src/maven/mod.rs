//! The Maven 2 repository layout below `/maven/d/{domain}-{owner}/{repo}/`:
//!
//! | request | answer |
//! |---|---|
//! | `GET`/`HEAD {group}/{artifact}/{version}/{file}` | the file, streamed (`X-SNAPSHOT` names resolve to the current build; a release file not held is retained from the upstreams first) |
//! | `PUT {group}/{artifact}/{version}/{file}` | stores the file into its version (Unfinished until published) |
//! | `… .md5`, `.sha1`, `.sha256`, `.sha512` | GET: the stored hash; PUT: checked against it, not stored |
//! | `GET {group}/{artifact}[/{X-SNAPSHOT}]/maven-metadata.xml` | generated from the Published versions (artifact level: merged with the upstreams'; `Warning` when a source's copy is stale) |
//! | `PUT {group}/{artifact}/maven-metadata.xml` | publishes the versions it lists |
//!
//! A PUT answers 201 with no body; the rules are the service's (`arca_service::maven`).

use arca_service::maven::{MavenGet, MavenPath};
use arca_service::Caller;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use percent_encoding::percent_decode_str;

use crate::{Endpoint, NativeError, NativeState};

pub(crate) async fn serve(
    state: &NativeState,
    caller: &Caller,
    endpoint: &Endpoint<'_>,
    req: Request,
) -> Result<Response<Body>, NativeError> {
    let svc = &state.service;
    let decoded = percent_decode_str(endpoint.rest)
        .decode_utf8()
        .map_err(|_| NativeError::BadRequest("The path is not valid UTF-8.".into()))?;
    let path = MavenPath::parse(&decoded)?;
    let repo = svc
        .native_repository(caller, endpoint.domain, endpoint.owner, endpoint.repository)
        .await?;
    match req.method().clone() {
        Method::GET | Method::HEAD => match svc.maven_get(&repo, &path).await? {
            MavenGet::File(d) => Ok(crate::body::download(d)),
            MavenGet::Document {
                body,
                content_type,
                stale,
            } => {
                let mut resp = Response::new(Body::from(body));
                resp.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                if stale {
                    resp.headers_mut().insert(
                        header::WARNING,
                        HeaderValue::from_static(arca_service::upstream::STALE_WARNING),
                    );
                }
                Ok(resp)
            }
        },
        Method::PUT => {
            let done = svc
                .maven_put(&repo, &path, req.into_body().into_data_stream())
                .await?;
            tracing::debug!(?done, "maven put");
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::CREATED;
            Ok(resp)
        }
        m => Err(NativeError::MethodNotAllowed {
            allow: "GET, HEAD, PUT",
            message: format!("{m} is not supported on a Maven repository; use GET, HEAD or PUT."),
        }),
    }
}
