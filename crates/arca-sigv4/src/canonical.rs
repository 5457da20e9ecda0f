//! Construction of the SigV4 canonical request and string to sign.
//!
//! Shared by [`crate::verify`] and [`crate::sign`], and public so that a server can log
//! the canonical request it computed when a signature does not match.
//!
//! The rules are the non-S3 ones, cross-checked against the official Rust signer
//! (`aws-sigv4` with the settings every non-S3 AWS SDK operation uses:
//! `PercentEncodingMode::Double` and `UriPathNormalizationMode::Enabled`) and against
//! botocore's `SigV4Auth`:
//!
//! * **URI**: the raw (still percent-encoded) request path is normalized — `.` and `..`
//!   segments removed as in RFC 3986 §5.2.4 and runs of `/` collapsed — and then
//!   percent-encoded *again*, byte by byte, keeping only `A-Za-z0-9-_.~` and `/`. So a
//!   path `/a%3Ab` becomes `/a%253Ab` ("double encoding"; a `%` is always re-encoded as
//!   `%25`). Dot segments are recognized on the raw path, so `%2E%2E` is not a dot
//!   segment. An empty path is `/`.
//! * **Query**: the raw query is split on `&` (empty pieces are skipped), each piece on the
//!   first `=` (no `=` means an empty value), key and value are percent-decoded as bytes
//!   (invalid `%` escapes are kept literally; `+` stays a literal `+`, it is *not* a space),
//!   re-encoded with the unreserved set above, sorted by encoded key then encoded value
//!   and joined as `k=v` with `&`.
//! * **Headers**: exactly the `SignedHeaders` names, in that (sorted) order, each as
//!   `name:value\n`. The value is trimmed of leading/trailing spaces with internal runs of
//!   spaces collapsed to one (spaces only, like `aws-sigv4`); repeated headers are joined
//!   with `,` in the order received. Values are handled as raw bytes, so non-UTF-8 values
//!   are fine.

use std::borrow::Cow;

use http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode;
use sha2::{Digest, Sha256};

use crate::error::SigV4Error;
use crate::parse::ALGORITHM;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `b` is sent as it is: the SigV4 unreserved characters `A-Z a-z 0-9 - _ . ~`, and `/`
/// when `keep_slash` (the path, which is encoded as a whole). Every other byte, non-ASCII ones
/// included, is percent-encoded with uppercase hex.
fn unreserved(b: u8, keep_slash: bool) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/')
}

/// Appends `bytes` percent-encoded (see [`unreserved`]).
fn push_encoded(out: &mut Vec<u8>, bytes: &[u8], keep_slash: bool) {
    if bytes.iter().all(|&b| unreserved(b, keep_slash)) {
        out.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        push_encoded_byte(out, b, keep_slash);
    }
}

fn push_encoded_byte(out: &mut Vec<u8>, b: u8, keep_slash: bool) {
    if unreserved(b, keep_slash) {
        out.push(b);
    } else {
        out.extend_from_slice(&[
            b'%',
            HEX_UPPER[usize::from(b >> 4)],
            HEX_UPPER[usize::from(b & 0xf)],
        ]);
    }
}

/// Bytes built by this module from ASCII pieces (every non-ASCII byte is percent-encoded).
fn ascii_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_default()
}

/// Canonical URI for a raw request path (see the module documentation).
pub fn canonical_uri(raw_path: &str) -> String {
    let mut out = Vec::with_capacity(raw_path.len() + 8);
    push_canonical_uri(&mut out, raw_path);
    ascii_string(out)
}

fn push_canonical_uri(out: &mut Vec<u8>, raw_path: &str) {
    push_encoded(out, normalize_path(raw_path).as_bytes(), true);
}

/// RFC 3986 §5.2.4 dot-segment removal plus collapsing of `//`, on an absolute path.
/// Identical to `aws-sigv4`'s `normalize_uri_path`. A path that needs nothing is borrowed.
///
/// (botocore differs in one corner: for a path *ending* in `/..` or `/.` it drops the
/// trailing slash that RFC 3986 keeps, e.g. `/a/b/..` → `/a` instead of `/a/`. SDK
/// clients never send dot segments, so this only matters for hand-made requests.)
fn normalize_path(raw: &str) -> Cow<'_, str> {
    if raw.is_empty() {
        return Cow::Borrowed("/");
    }
    let absolute: Cow<'_, str> = if raw.starts_with('/') {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(format!("/{raw}"))
    };
    if !absolute.contains('.') && !absolute.contains("//") {
        return absolute;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in absolute.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(absolute.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    let ends_with_slash = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|suffix| absolute.ends_with(suffix));
    if out.is_empty() || (ends_with_slash && !out.ends_with('/')) {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Canonical query string for a raw query (without the leading `?`; see the module
/// documentation).
pub fn canonical_query(raw_query: &str) -> String {
    let mut out = Vec::with_capacity(raw_query.len() + 8);
    push_canonical_query(&mut out, raw_query);
    ascii_string(out)
}

/// [`canonical_query`], appended to `out`. The pairs are re-encoded into one scratch buffer and
/// sorted as ranges of it, so a query costs two allocations however many pairs it has.
fn push_canonical_query(out: &mut Vec<u8>, raw_query: &str) {
    let mut encoded: Vec<u8> = Vec::with_capacity(raw_query.len() + 16);
    // (start of the key, end of the key = start of the value, end of the value) in `encoded`.
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for piece in raw_query.split('&').filter(|piece| !piece.is_empty()) {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        let start = encoded.len();
        push_reencoded(&mut encoded, key);
        let key_end = encoded.len();
        push_reencoded(&mut encoded, value);
        pairs.push((start, key_end, encoded.len()));
    }
    let pair = |&(start, key_end, end): &(usize, usize, usize)| {
        (&encoded[start..key_end], &encoded[key_end..end])
    };
    pairs.sort_unstable_by(|a, b| pair(a).cmp(&pair(b)));
    for (i, p) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        let (key, value) = pair(p);
        out.extend_from_slice(key);
        out.push(b'=');
        out.extend_from_slice(value);
    }
}

/// Appends a query component percent-decoded (as bytes; invalid escapes kept) and re-encoded.
fn push_reencoded(out: &mut Vec<u8>, component: &str) {
    if !component.contains('%') {
        push_encoded(out, component.as_bytes(), false);
        return;
    }
    for b in percent_decode(component.as_bytes()) {
        push_encoded_byte(out, b, false);
    }
}

/// Appends `name:value\n` for every signed header.
///
/// Fails with [`SigV4Error::Malformed`] if a signed header is absent from the request.
fn write_canonical_headers(
    out: &mut Vec<u8>,
    headers: &HeaderMap,
    signed_headers: &[String],
) -> Result<(), SigV4Error> {
    for name in signed_headers {
        let mut values = headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() {
            return Err(SigV4Error::Malformed(format!(
                "Header '{name}' is listed in SignedHeaders but is not present in the request."
            )));
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_trimmed(out, value.as_bytes());
        }
        out.push(b'\n');
    }
    Ok(())
}

/// Trims spaces at both ends and collapses internal runs of spaces to one.
fn push_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let mut previous_space = false;
    let start = out.len();
    for &b in value {
        if b == b' ' {
            previous_space = true;
            continue;
        }
        if previous_space && out.len() > start {
            out.push(b' ');
        }
        previous_space = false;
        out.push(b);
    }
}

/// Builds the canonical request:
///
/// ```text
/// METHOD\nCANONICAL_URI\nCANONICAL_QUERY\nname:value\n…\n\nsigned;headers\nPAYLOAD_HASH
/// ```
///
/// Returned as bytes because header values need not be UTF-8. `payload_hash` is used
/// verbatim. Fails only if a signed header is missing from `headers`.
pub fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::with_capacity(512);
    write_canonical_request(&mut out, method, uri, headers, signed_headers, payload_hash)?;
    Ok(out)
}

/// [`canonical_request`], appended to `out`.
pub(crate) fn write_canonical_request(
    out: &mut Vec<u8>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<(), SigV4Error> {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b'\n');
    push_canonical_uri(out, uri.path());
    out.push(b'\n');
    push_canonical_query(out, uri.query().unwrap_or(""));
    out.push(b'\n');
    write_canonical_headers(out, headers, signed_headers)?;
    out.push(b'\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    Ok(())
}

/// Lowercase hex SHA-256 of a canonical request, without allocating: the last line of the
/// string to sign.
pub(crate) fn canonical_request_hash(canonical_request: &[u8]) -> [u8; 64] {
    let mut hex = [0u8; 64];
    // Cannot fail: 32 bytes always fit 64 hex digits.
    let _ = hex::encode_to_slice(Sha256::digest(canonical_request), &mut hex);
    hex
}

/// `AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hex(sha256(canonical_request))}`.
pub fn string_to_sign(amz_date: &str, credential_scope: &str, canonical_request: &[u8]) -> String {
    let hash = canonical_request_hash(canonical_request);
    format!(
        "{ALGORITHM}\n{amz_date}\n{credential_scope}\n{}",
        std::str::from_utf8(&hash).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_normalization_matches_aws_sigv4() {
        for (input, expected) in [
            ("", "/"),
            ("/", "/"),
            ("foo", "/foo"),
            ("/foo/bar/", "/foo/bar/"),
            ("./", "/"),
            ("../foo", "/foo"),
            ("/.", "/"),
            ("/./", "/"),
            ("/foo/bar/.", "/foo/bar/"),
            ("/foo/./bar/./", "/foo/bar/"),
            ("/..", "/"),
            ("/../foo", "/foo"),
            ("/foo/bar/..", "/foo/"),
            ("/foo/../bar/../", "/"),
            (".", "/"),
            ("..", "/"),
            ("/a/b/c/./../../g", "/a/g"),
            ("mid/content=5/../6", "/mid/6"),
            ("//foo//", "/foo/"),
            ("//", "/"),
            ("/foo%2F.%2Fbar", "/foo%2F.%2Fbar"),
            ("/%2E%2E/x", "/%2E%2E/x"),
            ("/a.b/c..d", "/a.b/c..d"),
        ] {
            assert_eq!(normalize_path(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn uri_is_double_encoded() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(
            canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(canonical_uri("/example%20space/"), "/example%2520space/");
        assert_eq!(
            canonical_uri("/-._~azAZ09!$&'()*+,;=:"),
            "/-._~azAZ09%21%24%26%27%28%29%2A%2B%2C%3B%3D%3A"
        );
        assert_eq!(canonical_uri("/ሴ"), "/%E1%88%B4");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1"), "a=1&b=2");
        assert_eq!(canonical_query("a=2&a=1&a="), "a=&a=1&a=2");
        assert_eq!(canonical_query("flag&x="), "flag=&x=");
        assert_eq!(canonical_query("a=x+y"), "a=x%2By");
        assert_eq!(canonical_query("a=x%2By"), "a=x%2By");
        assert_eq!(canonical_query("a=x%20y"), "a=x%20y");
        assert_eq!(canonical_query("a=x%2fy%2F"), "a=x%2Fy%2F");
        assert_eq!(canonical_query("a=b=c"), "a=b%3Dc");
        assert_eq!(canonical_query("a=%7E%41"), "a=~A");
        assert_eq!(canonical_query("a=%zz%4"), "a=%25zz%254");
        assert_eq!(canonical_query("a=%FF"), "a=%FF");
        assert_eq!(canonical_query("&&a=1&"), "a=1");
        assert_eq!(canonical_query("ሴ=bar"), "%E1%88%B4=bar");
        // Sorting is on the *encoded* form: "%" (0x25) sorts before letters.
        assert_eq!(
            canonical_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
    }

    /// The encoders as they were written with `percent-encoding` (one `String` per component),
    /// against which the allocation-free ones are checked.
    mod reference {
        use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};

        const QUERY: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        const PATH: &AsciiSet = &QUERY.remove(b'/');

        pub fn uri(normalized: &str) -> String {
            percent_encode(normalized.as_bytes(), PATH).to_string()
        }

        pub fn query(raw: &str) -> String {
            let reencode = |c: &str| {
                let decoded: Vec<u8> = percent_decode(c.as_bytes()).collect();
                percent_encode(&decoded, QUERY).to_string()
            };
            let mut pairs: Vec<(String, String)> = raw
                .split('&')
                .filter(|piece| !piece.is_empty())
                .map(|piece| {
                    let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
                    (reencode(key), reencode(value))
                })
                .collect();
            pairs.sort_unstable();
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        }
    }

    proptest::proptest! {
        #[test]
        fn query_encoding_matches_the_reference(raw in "([a-zA-Z0-9%=&+ ~._*/-]|%[0-9a-fA-F]{2}|ሴ|é){0,40}") {
            proptest::prop_assert_eq!(canonical_query(&raw), reference::query(&raw));
        }

        #[test]
        fn uri_encoding_matches_the_reference(raw in "/([a-zA-Z0-9%=&+ ~._*/-]|%[0-9a-fA-F]{2}|ሴ|é){0,40}") {
            let expected = reference::uri(&normalize_path(&raw));
            proptest::prop_assert_eq!(canonical_uri(&raw), expected);
        }
    }

    #[test]
    fn encoders_match_the_reference_on_every_byte() {
        for b in 0u8..=255 {
            let raw = format!("k%{b:02X}=%{b:02x}v&%{b:02X}");
            assert_eq!(canonical_query(&raw), reference::query(&raw), "{raw}");
            if let Ok(c) = std::str::from_utf8(&[b]) {
                let raw = format!("/a{c}b");
                assert_eq!(
                    canonical_uri(&raw),
                    reference::uri(&normalize_path(&raw)),
                    "{raw}"
                );
                let raw = format!("{c}={c}&{c}");
                assert_eq!(canonical_query(&raw), reference::query(&raw), "{raw}");
            }
        }
    }

    #[test]
    fn header_values_are_trimmed_bytewise() {
        let mut out = Vec::new();
        push_trimmed(&mut out, b"  a   b \t c  ");
        assert_eq!(out, b"a b \t c");
        let mut out = Vec::new();
        push_trimmed(&mut out, b"   ");
        assert_eq!(out, b"");
        let mut out = Vec::new();
        push_trimmed(&mut out, b"\xff  \xfe");
        assert_eq!(out, b"\xff \xfe");
    }
}
