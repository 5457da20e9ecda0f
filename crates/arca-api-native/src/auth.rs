//! The authorization token on a native request: `Authorization: Bearer <token>` (npm), HTTP
//! Basic with any user name and the token as password (pip, twine, Maven, curl), or the token
//! alone, with no scheme (cargo); for NuGet also `X-NuGet-ApiKey`. A request with
//! more than one `Authorization` header is refused: which one a proxy or a client meant is not
//! something the server should guess.

use arca_service::{Caller, Service};
use axum::http::{header, HeaderMap};
use base64::Engine;

use crate::{Endpoint, NativeError};

/// The caller the request's token grants, for the domain its URL names.
pub(crate) async fn authorize(
    svc: &Service,
    headers: &HeaderMap,
    endpoint: &Endpoint<'_>,
) -> Result<Caller, NativeError> {
    if headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
    {
        return Err(NativeError::Unauthorized(
            "The request has more than one Authorization header; send exactly one.".into(),
        ));
    }
    let token = token(headers)
        .or_else(|| nuget_api_key(headers, endpoint))
        .ok_or_else(|| {
        NativeError::Unauthorized(
            "Authentication required: run 'aws codeartifact login' or send the token from GetAuthorizationToken.".into(),
        )
    })?;
    svc.authorize_native(&token, endpoint.domain, endpoint.owner)
        .await?
        .map_err(|e| {
            NativeError::Unauthorized(format!(
                "The authorization token was refused: {e}. Get a new one with GetAuthorizationToken."
            ))
        })
}

/// NuGet's `X-NuGet-ApiKey` carrying a token, used when no `Authorization` header is sent (the
/// API key is ignored when one is: NuGet sends the source's credentials there).
fn nuget_api_key(headers: &HeaderMap, endpoint: &Endpoint<'_>) -> Option<String> {
    if endpoint.format != arca_service::PackageFormat::Nuget {
        return None;
    }
    let key = headers.get("x-nuget-apikey")?.to_str().ok()?.trim();
    (!key.is_empty()).then(|| key.to_string())
}

fn token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let Some((scheme, credentials)) = value.split_once(' ') else {
        return (!value.is_empty()).then(|| value.to_string());
    };
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()?;
        let (_user, password) = std::str::from_utf8(&raw).ok()?.split_once(':')?;
        return Some(password.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn bearer_and_basic() {
        assert_eq!(token(&with("Bearer abc.def")).as_deref(), Some("abc.def"));
        assert_eq!(token(&with("bearer  abc")).as_deref(), Some("abc"));
        let basic = base64::engine::general_purpose::STANDARD.encode("aws:tok.en");
        assert_eq!(
            token(&with(&format!("Basic {basic}"))).as_deref(),
            Some("tok.en")
        );
        let anyone = base64::engine::general_purpose::STANDARD.encode("me:t");
        assert_eq!(
            token(&with(&format!("Basic {anyone}"))).as_deref(),
            Some("t")
        );
        assert_eq!(token(&with("Basic !!!")), None);
        assert_eq!(token(&with("raw.tok-en")).as_deref(), Some("raw.tok-en"));
        assert_eq!(token(&with("AWS4-HMAC-SHA256 Credential=x")), None);
        assert_eq!(token(&HeaderMap::new()), None);
    }
}
