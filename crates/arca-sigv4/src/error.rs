//! The verification error type.

use std::time::Duration;

use time::OffsetDateTime;

use crate::parse::format_amz_date;

/// Why a request failed SigV4 verification.
///
/// The `Display` text of every variant is a human message in the style AWS uses, suitable
/// for the `message` field of the error response. The caller maps [`SigV4Error::Missing`]
/// to `MissingAuthenticationTokenException` and every other variant to
/// `InvalidSignatureException` (HTTP 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// The request carries no `Authorization` header at all.
    #[error("Missing Authentication Token")]
    Missing,

    /// The `Authorization` header (or a header it depends on, such as `x-amz-date`) is
    /// unparseable or incomplete. The string is the complete message.
    #[error("{0}")]
    Malformed(String),

    /// The credential scope names another service than the one this endpoint serves.
    #[error("Credential should be scoped to correct service: '{expected}'.")]
    WrongService {
        /// The service this endpoint serves (e.g. `codeartifact`).
        expected: String,
        /// The service named in the credential scope.
        got: String,
    },

    /// The date in the credential scope is not the day of the request timestamp.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
         '{scope_date}' != '{request_date}', from '{request_timestamp}'."
    )]
    ScopeDateMismatch {
        /// `yyyymmdd` from the credential scope.
        scope_date: String,
        /// `yyyymmdd` of the request timestamp.
        request_date: String,
        /// The request timestamp, `yyyymmddThhmmssZ`.
        request_timestamp: String,
    },

    /// The request timestamp is more than the allowed skew away from the server clock
    /// (in either direction).
    #[error("{}", expired_message(*request_time, *server_time, *max_skew))]
    Expired {
        /// The request timestamp (from `x-amz-date` or `Date`).
        request_time: OffsetDateTime,
        /// The server clock at verification time.
        server_time: OffsetDateTime,
        /// The allowed skew.
        max_skew: Duration,
    },

    /// The signature does not match the one computed with the caller's secret key.
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. \
         Consult the service documentation for details."
    )]
    SignatureMismatch,
}

impl SigV4Error {
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::Malformed(message.into())
    }
}

/// `15 min.` for whole minutes, `90 sec.` otherwise (AWS only ever prints minutes).
fn skew_text(skew: Duration) -> String {
    let secs = skew.as_secs();
    if secs % 60 == 0 {
        format!("{} min.", secs / 60)
    } else {
        format!("{secs} sec.")
    }
}

fn expired_message(request: OffsetDateTime, server: OffsetDateTime, skew: Duration) -> String {
    let request_text = format_amz_date(request);
    let server_text = format_amz_date(server);
    // `checked_*` keep absurd skews (beyond the representable date range) from panicking;
    // such a skew can never be exceeded anyway, the fallback text is only for completeness.
    let skew_t = time::Duration::try_from(skew).ok();
    if request <= server {
        let bound = skew_t
            .and_then(|s| server.checked_sub(s))
            .map_or_else(|| "-".to_owned(), format_amz_date);
        format!(
            "Signature expired: {request_text} is now earlier than {bound} ({server_text} - {})",
            skew_text(skew)
        )
    } else {
        let bound = skew_t
            .and_then(|s| server.checked_add(s))
            .map_or_else(|| "-".to_owned(), format_amz_date);
        format!(
            "Signature not yet current: {request_text} is still later than {bound} ({server_text} + {})",
            skew_text(skew)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn expired_message_matches_aws_wording() {
        let err = SigV4Error::Expired {
            request_time: datetime!(2026-11-21 10:10:10 UTC),
            server_time: datetime!(2026-11-21 10:40:11 UTC),
            max_skew: Duration::from_secs(15 * 60),
        };
        assert_eq!(
            err.to_string(),
            "Signature expired: 20261121T101010Z is now earlier than 20261121T102511Z \
             (20261121T104011Z - 15 min.)"
        );
    }

    #[test]
    fn not_yet_current_message() {
        let err = SigV4Error::Expired {
            request_time: datetime!(2026-11-21 11:00:00 UTC),
            server_time: datetime!(2026-11-21 10:40:11 UTC),
            max_skew: Duration::from_secs(15 * 60),
        };
        assert_eq!(
            err.to_string(),
            "Signature not yet current: 20261121T110000Z is still later than 20261121T105511Z \
             (20261121T104011Z + 15 min.)"
        );
    }

    #[test]
    fn other_messages() {
        assert_eq!(
            SigV4Error::WrongService {
                expected: "codeartifact".into(),
                got: "s3".into()
            }
            .to_string(),
            "Credential should be scoped to correct service: 'codeartifact'."
        );
        assert!(SigV4Error::SignatureMismatch
            .to_string()
            .starts_with("The request signature we calculated does not match"));
        assert_eq!(
            SigV4Error::ScopeDateMismatch {
                scope_date: "20261120".into(),
                request_date: "20261121".into(),
                request_timestamp: "20261121T101010Z".into(),
            }
            .to_string(),
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '20261120' != '20261121', from '20261121T101010Z'."
        );
        assert_eq!(skew_text(Duration::from_secs(90)), "90 sec.");
    }
}
