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

use http::{HeaderMap, Method, Uri};
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::error::SigV4Error;
use crate::parse::ALGORITHM;

/// Everything except the SigV4 unreserved characters `A-Z a-z 0-9 - _ . ~`.
const AWS_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Same, but keeps `/` (used for the path, which is encoded as a whole).
const AWS_PATH_ENCODE_SET: &AsciiSet = &AWS_ENCODE_SET.remove(b'/');

/// Canonical URI for a raw request path (see the module documentation).
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = normalize_path(raw_path);
    percent_encode(normalized.as_bytes(), AWS_PATH_ENCODE_SET).to_string()
}

/// RFC 3986 §5.2.4 dot-segment removal plus collapsing of `//`, on an absolute path.
/// Identical to `aws-sigv4`'s `normalize_uri_path`.
///
/// (botocore differs in one corner: for a path *ending* in `/..` or `/.` it drops the
/// trailing slash that RFC 3986 keeps, e.g. `/a/b/..` → `/a` instead of `/a/`. SDK
/// clients never send dot segments, so this only matters for hand-made requests.)
fn normalize_path(raw: &str) -> String {
    if raw.is_empty() {
        return "/".to_owned();
    }
    let absolute = if raw.starts_with('/') {
        raw.to_owned()
    } else {
        format!("/{raw}")
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
    out
}

/// Canonical query string for a raw query (without the leading `?`; see the module
/// documentation).
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            (reencode(key), reencode(value))
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

fn reencode(component: &str) -> String {
    let decoded: Vec<u8> = percent_decode(component.as_bytes()).collect();
    percent_encode(&decoded, AWS_ENCODE_SET).to_string()
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
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(uri.path()).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(uri.query().unwrap_or("")).as_bytes());
    out.push(b'\n');
    write_canonical_headers(&mut out, headers, signed_headers)?;
    out.push(b'\n');
    out.extend_from_slice(signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hex(sha256(canonical_request))}`.
pub fn string_to_sign(amz_date: &str, credential_scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{credential_scope}\n{}",
        hex::encode(Sha256::digest(canonical_request))
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
