//! The HTTP/1.1 server loop: axum's router on hyper, with the timeouts a public server needs and
//! `axum::serve` does not set — a client that trickles its headers, or stops sending a body
//! mid-upload, is cut off instead of holding a connection (and an upload's resources) forever.
//!
//! Only HTTP/1.1 (and 1.0) is served: no client of Arca speaks HTTP/2 without TLS, so there is no
//! protocol detection in front of the HTTP/1 parser and the header timeout runs from the moment a
//! connection is accepted. A prior-knowledge h2c preface is an invalid HTTP/1 request line: the
//! connection is closed at once. Requests whose body uses a transfer coding other than `chunked`
//! are answered 501 before routing (RFC 9112 §6.1), whatever the route.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use axum::Router;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::client::ClientFacts;

/// Timeouts applied to every connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the moment a connection is accepted (or the previous response ends) to the end of the
    /// request headers.
    pub header_read: Duration,
    /// Longest wait for the next piece of a request body while the handler is reading it.
    pub body_idle: Duration,
}

/// Serves `router` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    clients: ClientFacts,
    shutdown: impl Future<Output = ()>,
) {
    let clients = std::sync::Arc::new(clients);
    let body_idle = timeouts.body_idle;
    let router = router.map_request(move |req: Request| req.map(|b| idle_limited(b, body_idle)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let clients = clients.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut req: Request<hyper::body::Incoming>| {
                let router = router.clone();
                // The client's address and TLS, for the audit log and policy conditions.
                let facts = clients.of(peer, req.headers());
                req.extensions_mut().insert(facts);
                async move {
                    if let Some(refusal) = refuse_transfer_coding(req.headers()) {
                        return Ok(refusal);
                    }
                    router.oneshot(req.map(Body::new)).await
                }
            },
        ));
        // HTTP/1 only, and no protocol sniffing before it: the header timer starts with the
        // connection's first read, so a silent or half-sent connection is closed on time.
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeouts.header_read)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// A 501 for a request whose `Transfer-Encoding` names a coding other than `chunked` (hyper
/// removes only the chunked framing, so a `gzip, chunked` body would reach handlers still
/// compressed). The body is left unread, so the connection closes after the answer.
fn refuse_transfer_coding(headers: &HeaderMap) -> Option<Response<Body>> {
    let unsupported = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(|c| c.trim_ascii())
        .find(|c| !c.is_empty() && !c.eq_ignore_ascii_case(b"chunked"))?;
    let coding = String::from_utf8_lossy(unsupported);
    tracing::info!(transfer_coding = %coding, "refused a request with an unsupported transfer coding");
    let mut resp = Response::new(Body::from(format!(
        "Transfer-Encoding '{coding}' is not implemented; send the body with 'chunked' or a \
         Content-Length.\n"
    )));
    *resp.status_mut() = StatusCode::NOT_IMPLEMENTED;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(resp)
}

fn idle_limited(body: Body, idle: Duration) -> Body {
    Body::new(IdleLimited {
        inner: body,
        idle,
        deadline: Box::pin(tokio::time::sleep(idle)),
        waiting: false,
    })
}

/// The error a body yields after [`Timeouts::body_idle`] without data.
#[derive(Debug, thiserror::Error)]
#[error("no request body data for {0:?}")]
pub struct BodyIdle(Duration);

/// A request body that fails when the client sends nothing for `idle` while it is being read.
/// The clock only runs while the handler waits on the body, so slow work in between (a part
/// upload, a database write) never counts against the client.
struct IdleLimited {
    inner: Body,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    waiting: bool,
}

impl http_body::Body for IdleLimited {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = false;
                Poll::Ready(frame)
            }
            Poll::Pending => {
                if !this.waiting {
                    this.waiting = true;
                    let at = tokio::time::Instant::now() + this.idle;
                    this.deadline.as_mut().reset(at);
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Some(Err(axum::Error::new(BodyIdle(this.idle)))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_te(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::TRANSFER_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_chunked_is_understood() {
        for ok in [&[][..], &["chunked"], &["Chunked"], &[" chunked "]] {
            assert!(refuse_transfer_coding(&with_te(ok)).is_none(), "{ok:?}");
        }
        for refused in [
            &["gzip, chunked"][..],
            &["gzip"],
            &["deflate,chunked"],
            &["identity, chunked"],
            &["gzip", "chunked"],
            &["chunked", "br"],
        ] {
            let r = refuse_transfer_coding(&with_te(refused)).expect("refused");
            assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED, "{refused:?}");
            assert_eq!(r.headers()[header::CONNECTION], "close");
        }
    }
}
