//! What the wire crates measure of an HTTP message for [`crate::RequestSample`]: body sizes and the
//! method as a label, without allocating.

use http::{header, HeaderMap, Method, Response};
use http_body::Body;

/// A message's declared body length (`Content-Length`; 0 when not declared).
pub fn content_length(headers: &HeaderMap) -> u64 {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A response's body length when known before sending (declared, or an exact size hint).
pub fn response_length<B: Body>(resp: &Response<B>) -> u64 {
    match content_length(resp.headers()) {
        0 => resp.body().size_hint().exact().unwrap_or(0),
        n => n,
    }
}

/// The method as a label value; unusual methods are `OTHER`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
