//! Native documents (npm packuments, PyPI project pages) served from the service's document cache
//! when one is kept (`arca_service::documents` says when that holds), else rendered and kept.

use std::future::Future;

use arca_service::documents::{Document, DocumentKey};
use arca_service::{NativeRepo, Service};
use axum::body::Body;
use axum::http::{header, HeaderValue, Response};

use crate::NativeError;

/// A document just rendered.
pub(crate) struct Rendered {
    pub doc: Document,
    /// Part of it came from a stale copy of an upstream source's index: sent with a `Warning`.
    pub stale: bool,
    /// An upstream source's index was consulted: not kept (that index has its own cache and TTL,
    /// and its failures must show).
    pub sourced: bool,
}

/// The document `kind` of `name` in `repo`: kept, or rendered by `render` (and kept).
pub(crate) async fn serve<F, Fut>(
    svc: &Service,
    repo: &NativeRepo,
    kind: &'static str,
    name: &str,
    render: F,
) -> Result<Response<Body>, NativeError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, NativeError>>,
{
    let cache = svc.documents();
    let key = DocumentKey {
        repository_id: repo.id(),
        kind,
        name: name.to_owned(),
    };
    if let Some(doc) = cache.get(&key) {
        return Ok(response(doc, false));
    }
    let ticket = cache.ticket();
    let rendered = render().await?;
    if !rendered.sourced && !rendered.stale {
        cache.put(ticket, key, rendered.doc.clone());
    }
    Ok(response(rendered.doc, rendered.stale))
}

fn response(doc: Document, stale: bool) -> Response<Body> {
    let mut resp = Response::new(Body::from(doc.body));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(doc.content_type),
    );
    if stale {
        headers.insert(
            header::WARNING,
            HeaderValue::from_static(arca_service::upstream::STALE_WARNING),
        );
    }
    resp
}
