//! Conditional and partial reads of compact index files. Every answer carries `ETag` (the quoted
//! MD5 Bundler compares with its cached copy), `Repr-Digest` and the legacy `Digest` (SHA-256).
//! `If-None-Match` naming the current tag is a 304. `Range: bytes=N-` (Bundler asks from one byte
//! before the end of its copy) is a 206 with the rest of the file, unless the request also carries
//! `If-None-Match` and the file's first N+1 bytes are not the copy it names: then the client's copy
//! is not a prefix of this file (a yank rewrote it), and it gets the whole file, which it takes
//! in place of its copy. A start past the end is a 416.

use arca_service::ruby::RubyIndexFile;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};

/// The entity tags of `If-None-Match` (weak ones as strong: Bundler strips `W/`).
fn if_none_match(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/").to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `bytes=N-` or `bytes=N-M` (the end is ignored: index files only grow); other forms: `None`.
fn range_start(headers: &HeaderMap) -> Option<usize> {
    let v = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = v.trim().strip_prefix("bytes=")?;
    let (start, _) = spec.split_once('-')?;
    if spec.contains(',') {
        return None;
    }
    start.trim().parse().ok()
}

use arca_service::ruby::etag as etag_of;

pub(super) fn respond(headers: &HeaderMap, file: RubyIndexFile) -> Response<Body> {
    let tags = if_none_match(headers);
    let len = file.body.len();
    let (status, body, content_range) = if tags.contains(&file.etag) {
        (StatusCode::NOT_MODIFIED, Vec::new(), None)
    } else {
        match range_start(headers) {
            Some(start) if start >= len => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                Vec::new(),
                Some(format!("bytes */{len}")),
            ),
            Some(start) if tags.is_empty() || tags.contains(&etag_of(&file.body[..start + 1])) => (
                StatusCode::PARTIAL_CONTENT,
                file.body[start..].to_vec(),
                Some(format!("bytes {start}-{}/{len}", len - 1)),
            ),
            _ => (StatusCode::OK, file.body, None),
        }
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&file.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("sha-256=:{}:", file.sha256)) {
        h.insert("repr-digest", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("sha-256={}", file.sha256)) {
        h.insert("digest", v);
    }
    if let Some(v) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::CONTENT_RANGE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(body: &str) -> RubyIndexFile {
        RubyIndexFile {
            body: body.as_bytes().to_vec(),
            etag: etag_of(body.as_bytes()),
            sha256: "x".into(),
        }
    }

    fn with(pairs: &[(header::HeaderName, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k, v.parse().unwrap());
        }
        h
    }

    async fn body(r: Response<Body>) -> String {
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn ranges_and_tags() {
        let f = file("---\na 1.0 x\nb 1.0 y\n");
        let whole = respond(&HeaderMap::new(), f.clone());
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(whole.headers()[header::ETAG], f.etag.as_str());
        assert_eq!(whole.headers()["repr-digest"], "sha-256=:x:");

        let same = respond(&with(&[(header::IF_NONE_MATCH, f.etag.clone())]), f.clone());
        assert_eq!(same.status(), StatusCode::NOT_MODIFIED);

        // Bundler's copy is "---\na 1.0 x\n" (12 bytes): it asks from byte 11 and names its MD5.
        let copy = etag_of(b"---\na 1.0 x\n");
        let h = with(&[
            (header::RANGE, "bytes=11-".into()),
            (header::IF_NONE_MATCH, copy),
        ]);
        let part = respond(&h, f.clone());
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.headers()[header::CONTENT_RANGE], "bytes 11-19/20");
        assert_eq!(body(part).await, "\nb 1.0 y\n");

        // A copy that is not a prefix gets the whole file.
        let h = with(&[
            (header::RANGE, "bytes=11-".into()),
            (header::IF_NONE_MATCH, etag_of(b"---\nz 1.0 x\n")),
        ]);
        let whole = respond(&h, f.clone());
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(body(whole).await, "---\na 1.0 x\nb 1.0 y\n");

        let past = respond(&with(&[(header::RANGE, "bytes=20-".into())]), f.clone());
        assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(past.headers()[header::CONTENT_RANGE], "bytes */20");
        let plain = respond(&with(&[(header::RANGE, "bytes=4-".into())]), f);
        assert_eq!(body(plain).await, "a 1.0 x\nb 1.0 y\n");
    }
}
