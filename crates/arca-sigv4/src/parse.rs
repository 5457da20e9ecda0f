//! Parsing of the `Authorization` header and of the request timestamp.

use http::{HeaderMap, HeaderName};
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::SigV4Error;

/// The only signing algorithm this crate accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Terminator of every SigV4 credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";

/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
/// header.
///
/// [`parse_authorization`] guarantees the invariants listed on each field; [`crate::verify`]
/// re-checks the ones it relies on, so a hand-built value cannot make it misbehave either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key id from the credential scope (non-empty).
    pub access_key_id: String,
    /// Scope date, `yyyymmdd` (8 ASCII digits forming a valid calendar date).
    pub scope_date: String,
    /// Scope region (non-empty). Not checked by [`crate::verify`]: any region is accepted
    /// as long as the signature was computed with it.
    pub region: String,
    /// Scope service (non-empty); [`crate::verify`] compares it with the expected service.
    pub service: String,
    /// Signed header names: lowercase, strictly ascending (so without duplicates), always
    /// containing `host`.
    pub signed_headers: Vec<String>,
    /// The signature exactly as sent (non-empty; normally 64 lowercase hex digits).
    pub signature: String,
}

impl Authorization {
    /// `yyyymmdd/region/service/aws4_request`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/{SCOPE_TERMINATOR}",
            self.scope_date, self.region, self.service
        )
    }

    /// The `SignedHeaders` value (`host;x-amz-date`).
    pub fn signed_headers_value(&self) -> String {
        self.signed_headers.join(";")
    }
}

/// Reads and parses the `Authorization` header of a request.
///
/// Returns [`SigV4Error::Missing`] when the header is absent, and
/// [`SigV4Error::Malformed`] when it is repeated, not valid UTF-8 or not parseable.
pub fn authorization_from_headers(headers: &HeaderMap) -> Result<Authorization, SigV4Error> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(SigV4Error::Missing);
    };
    if values.next().is_some() {
        return Err(SigV4Error::malformed(
            "Only one Authorization header may be present in the request.",
        ));
    }
    let value = value.to_str().map_err(|_| {
        SigV4Error::malformed(
            "Authorization header contains characters that are not printable ASCII.",
        )
    })?;
    parse_authorization(value)
}

/// Parses an `Authorization` header value.
///
/// Accepted form: `AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request,
/// SignedHeaders=a;b;host, Signature=hex` — components separated by commas with optional
/// spaces/tabs, in any order, each exactly once. Never panics.
pub fn parse_authorization(value: &str) -> Result<Authorization, SigV4Error> {
    let value = value.trim_matches(is_ows);
    if value.is_empty() {
        return Err(SigV4Error::Missing);
    }
    let (algorithm, rest) = value.split_once(is_ows).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::malformed(format!(
            "Unsupported Authorization Type: {}. Only {ALGORITHM} is supported.",
            quote_snippet(algorithm)
        )));
    }

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(|p| p.trim_matches(is_ows)) {
        if part.is_empty() {
            continue;
        }
        let Some((key, val)) = part.split_once('=') else {
            return Err(SigV4Error::malformed(format!(
                "{} not a valid key=value pair (missing equal-sign) in Authorization header.",
                quote_snippet(part)
            )));
        };
        let slot = match key.trim_matches(is_ows) {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(SigV4Error::malformed(format!(
                    "Unknown parameter {} in Authorization header.",
                    quote_snippet(other)
                )))
            }
        };
        if slot.replace(val.trim_matches(is_ows)).is_some() {
            return Err(SigV4Error::malformed(format!(
                "Authorization header contains the '{}' parameter more than once.",
                key.trim_matches(is_ows)
            )));
        }
    }

    let mut missing = String::new();
    for (name, slot) in [
        ("Credential", &credential),
        ("Signature", &signature),
        ("SignedHeaders", &signed_headers),
    ] {
        if slot.is_none_or(str::is_empty) {
            if !missing.is_empty() {
                missing.push(' ');
            }
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter."
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::Malformed(missing));
    };
    if !missing.is_empty() {
        return Err(SigV4Error::Malformed(missing));
    }

    let (access_key_id, scope_date, region, service) = parse_credential(credential)?;
    let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
    check_signed_headers(&signed_headers)?;

    Ok(Authorization {
        access_key_id: access_key_id.to_owned(),
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

fn parse_credential(credential: &str) -> Result<(&str, &str, &str, &str), SigV4Error> {
    let mut parts = credential.split('/');
    let mut next = || parts.next();
    let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator), None) =
        (next(), next(), next(), next(), next(), next())
    else {
        return Err(SigV4Error::malformed(format!(
            "Credential should be of the form \
             '<access key id>/<yyyymmdd>/<region>/<service>/{SCOPE_TERMINATOR}', got {}.",
            quote_snippet(credential)
        )));
    };
    if access_key_id.is_empty() {
        return Err(SigV4Error::malformed(
            "Credential should contain a non-empty access key id.",
        ));
    }
    if parse_scope_date(date).is_none() {
        return Err(SigV4Error::malformed(format!(
            "Credential should be scoped to a valid date (yyyyMMdd), not {}.",
            quote_snippet(date)
        )));
    }
    if region.is_empty() {
        return Err(SigV4Error::malformed(
            "Credential should be scoped to a valid region.",
        ));
    }
    if service.is_empty() {
        return Err(SigV4Error::malformed(
            "Credential should be scoped to a valid service.",
        ));
    }
    if terminator != SCOPE_TERMINATOR {
        return Err(SigV4Error::malformed(format!(
            "Credential should be scoped with a valid terminator: '{SCOPE_TERMINATOR}', not {}.",
            quote_snippet(terminator)
        )));
    }
    Ok((access_key_id, date, region, service))
}

/// Checks the invariants of [`Authorization::signed_headers`]: every name is a non-empty,
/// lowercase HTTP token; the list is strictly ascending (sorted, no duplicates) as the
/// SigV4 specification requires; and `host` is included.
pub(crate) fn check_signed_headers(names: &[String]) -> Result<(), SigV4Error> {
    for name in names {
        if name.is_empty() || !name.bytes().all(is_lowercase_token_byte) {
            return Err(SigV4Error::malformed(format!(
                "SignedHeaders contains an invalid header name {}: names must be lowercase \
                 and separated by ';'.",
                quote_snippet(name)
            )));
        }
    }
    if names.windows(2).any(|w| w[0] >= w[1]) {
        return Err(SigV4Error::malformed(
            "SignedHeaders must be sorted by lowercase name and must not contain duplicates.",
        ));
    }
    if !names.iter().any(|n| n == "host") {
        return Err(SigV4Error::malformed(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(())
}

/// `tchar` from RFC 9110 without uppercase letters.
fn is_lowercase_token_byte(b: u8) -> bool {
    b.is_ascii_lowercase()
        || b.is_ascii_digit()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// `'text'`, truncated so that error messages stay short whatever the client sent.
fn quote_snippet(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut out: String = text.chars().take(MAX_CHARS).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    format!("'{out}'")
}

fn digits<const N: usize>(bytes: &[u8]) -> Option<u32> {
    if bytes.len() != N || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

fn ymd(bytes: &[u8]) -> Option<Date> {
    let year = digits::<4>(bytes.get(0..4)?)?;
    let month = digits::<2>(bytes.get(4..6)?)?;
    let day = digits::<2>(bytes.get(6..8)?)?;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

/// Parses a `yyyymmdd` scope date.
pub(crate) fn parse_scope_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 8 {
        return None;
    }
    ymd(bytes)
}

/// Parses an ISO-8601 basic-format UTC timestamp, `yyyymmddThhmmssZ` (the `x-amz-date`
/// format). Strict: exactly 16 characters.
pub fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let date = ymd(&bytes[..8])?;
    let hour = u8::try_from(digits::<2>(&bytes[9..11])?).ok()?;
    let minute = u8::try_from(digits::<2>(&bytes[11..13])?).ok()?;
    let second = u8::try_from(digits::<2>(&bytes[13..15])?).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Formats a timestamp as `yyyymmddThhmmssZ` in UTC (sub-second precision is dropped).
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    match amz_date_digits(t) {
        Some(digits) => String::from_utf8(digits.to_vec()).unwrap_or_default(),
        None => amz_date_formatted(t),
    }
}

/// [`format_amz_date`] with `format!`, for any year.
fn amz_date_formatted(t: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// [`format_amz_date`] of a UTC timestamp, on the stack; `None` for a year outside 0–9999 (which
/// does not have four digits).
pub(crate) fn amz_date_digits(t: OffsetDateTime) -> Option<[u8; 16]> {
    let year = u16::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"00000000T000000Z";
    let mut put = |at: usize, value: u16, width: usize| {
        let mut v = value;
        for i in (at..at + width).rev() {
            // `v % 10` is a digit, so the cast is exact.
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year, 4);
    put(4, u16::from(u8::from(t.month())), 2);
    put(6, u16::from(t.day()), 2);
    put(9, u16::from(t.hour()), 2);
    put(11, u16::from(t.minute()), 2);
    put(13, u16::from(t.second()), 2);
    Some(out)
}

/// Formats a timestamp as an RFC 1123 `Date` value in GMT (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn format_http_date(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(format).unwrap_or_default()
}

/// Parses an RFC 1123 `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`). The zone may also
/// be written `UTC`, `+0000` or `-0000` (Python's `email.utils.formatdate`, used by
/// botocore when a request carries a `Date` header, writes `-0000`).
pub fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim_matches(is_ows);
    let rest = ["GMT", "UTC", "+0000", "-0000"]
        .iter()
        .find_map(|zone| text.strip_suffix(zone))?
        .strip_suffix(' ')?;
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second]"
    );
    PrimitiveDateTime::parse(rest, format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// The request timestamp and its `yyyymmddThhmmssZ` form as used in the string to sign.
pub(crate) fn request_timestamp(headers: &HeaderMap) -> Result<OffsetDateTime, SigV4Error> {
    const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
    if let Some(value) = single_header(headers, X_AMZ_DATE, "X-Amz-Date")? {
        return value.and_then(parse_amz_date).ok_or_else(|| {
            SigV4Error::malformed(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            )
        });
    }
    if let Some(value) = single_header(headers, http::header::DATE, "Date")? {
        return value.and_then(parse_http_date).ok_or_else(|| {
            SigV4Error::malformed(
                "Date must be in the RFC 1123 format \"EEE, dd MMM yyyy HH:mm:ss 'GMT'\"",
            )
        });
    }
    Err(SigV4Error::malformed(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    ))
}

/// `Ok(None)` if absent, `Ok(Some(None))` if present but not UTF-8, error if repeated.
fn single_header<'h>(
    headers: &'h HeaderMap,
    name: HeaderName,
    display: &str,
) -> Result<Option<Option<&'h str>>, SigV4Error> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(SigV4Error::malformed(format!(
            "Only one '{display}' header may be present in the request."
        )));
    }
    Ok(Some(first.to_str().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    fn malformed(value: &str) -> String {
        match parse_authorization(value) {
            Err(SigV4Error::Malformed(m)) => m,
            other => panic!("expected Malformed for {value:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_canonical_form() {
        let auth = parse_authorization(GOOD).unwrap();
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.scope_date, "20261121");
        assert_eq!(auth.region, "us-east-1");
        assert_eq!(auth.service, "codeartifact");
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(
            auth.signature,
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert_eq!(
            auth.credential_scope(),
            "20261121/us-east-1/codeartifact/aws4_request"
        );
        assert_eq!(auth.signed_headers_value(), "host;x-amz-date");
    }

    #[test]
    fn accepts_other_orders_and_spacing() {
        let v = "AWS4-HMAC-SHA256   Signature=ab,SignedHeaders=host,\tCredential=K/20261121/r/s/aws4_request ";
        let auth = parse_authorization(v).unwrap();
        assert_eq!(auth.signature, "ab");
        assert_eq!(auth.signed_headers, ["host"]);
        assert_eq!(auth.access_key_id, "K");
    }

    #[test]
    fn rejects_other_algorithms() {
        assert!(malformed("Basic dXNlcjpwYXNz").contains("Unsupported Authorization Type: 'Basic'"));
        assert!(malformed("AWS4-HMAC-SHA512 Credential=a").contains("Unsupported"));
        assert!(malformed("AWS4-ECDSA-P256-SHA256 Credential=a").contains("Unsupported"));
        assert_eq!(parse_authorization("   "), Err(SigV4Error::Missing));
    }

    #[test]
    fn reports_all_missing_parameters() {
        assert_eq!(
            malformed("AWS4-HMAC-SHA256"),
            "Authorization header requires 'Credential' parameter. Authorization header \
             requires 'Signature' parameter. Authorization header requires 'SignedHeaders' \
             parameter."
        );
        assert_eq!(
            malformed("AWS4-HMAC-SHA256 Credential=K/20261121/r/s/aws4_request, SignedHeaders=host, Signature="),
            "Authorization header requires 'Signature' parameter."
        );
    }

    #[test]
    fn rejects_bad_components() {
        let base = |cred: &str, sh: &str| {
            format!("AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders={sh}, Signature=00")
        };
        let ok_cred = "K/20261121/us-east-1/codeartifact/aws4_request";
        assert!(malformed(&base("K/20261121/us-east-1/codeartifact", "host")).contains("form"));
        assert!(malformed(&base(
            "K/20261121/us-east-1/codeartifact/aws4_request/x",
            "host"
        ))
        .contains("form"));
        assert!(malformed(&base("/20261121/r/s/aws4_request", "host")).contains("access key"));
        assert!(malformed(&base("K/20261341/r/s/aws4_request", "host")).contains("date"));
        assert!(malformed(&base("K/2026112/r/s/aws4_request", "host")).contains("date"));
        assert!(malformed(&base("K/20261121//s/aws4_request", "host")).contains("region"));
        assert!(malformed(&base("K/20261121/r//aws4_request", "host")).contains("service"));
        assert!(malformed(&base("K/20261121/r/s/aws4_requestx", "host")).contains("terminator"));
        assert!(malformed(&base(ok_cred, "x-amz-date")).contains("'Host'"));
        assert!(malformed(&base(ok_cred, "x-amz-date;host")).contains("sorted"));
        assert!(malformed(&base(ok_cred, "host;host")).contains("duplicates"));
        assert!(malformed(&base(ok_cred, "Host;x-amz-date")).contains("lowercase"));
        assert!(malformed(&base(ok_cred, "host;;x-amz-date")).contains("invalid header name"));
        assert!(malformed(&base(ok_cred, "host; x-amz-date")).contains("invalid header name"));
        assert!(malformed(&format!("{} , Foo=bar", base(ok_cred, "host"))).contains("Unknown"));
        assert!(
            malformed(&format!("{}, Signature=01", base(ok_cred, "host")))
                .contains("more than once")
        );
        assert!(malformed(&format!("{}, garbage", base(ok_cred, "host"))).contains("equal-sign"));
    }

    #[test]
    fn long_garbage_is_truncated_in_messages() {
        let long = "x".repeat(10_000);
        assert!(malformed(&long).len() < 200);
    }

    #[test]
    fn amz_date() {
        assert_eq!(
            parse_amz_date("20150830T123600Z"),
            Some(datetime!(2015-08-30 12:36:00 UTC))
        );
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "20150830T126000Z",
            "20150230T123600Z",
            "2015-08-30T12:36:00Z",
            "+0150830T123600Z",
            "20150830T12360Zé",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        assert_eq!(
            format_amz_date(datetime!(2015-08-30 14:36:00.9 +02:00)),
            "20150830T123600Z"
        );
        // The stack formatter agrees with `format!` wherever it applies; other years fall back.
        for t in [
            datetime!(0000-01-01 00:00:00 UTC),
            datetime!(0042-02-03 04:05:06 UTC),
            datetime!(1999-12-31 23:59:59 UTC),
            datetime!(9999-12-31 23:59:59 UTC),
        ] {
            let expected = amz_date_formatted(t);
            assert_eq!(format_amz_date(t), expected);
            assert_eq!(
                amz_date_digits(t).map(|d| d.to_vec()),
                Some(expected.into_bytes())
            );
        }
        assert_eq!(amz_date_digits(datetime!(-0001-01-01 00:00:00 UTC)), None);
        assert_eq!(
            format_amz_date(datetime!(-0001-01-01 00:00:00 UTC)),
            "-0010101T000000Z"
        );
    }

    #[test]
    fn http_date() {
        let expected = Some(datetime!(1994-11-06 08:49:37 UTC));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 -0000"), expected);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 +0000"), expected);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 +0100"), None);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("GMT"), None);
        assert_eq!(
            format_http_date(datetime!(1994-11-06 09:49:37 +01:00)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }
}
