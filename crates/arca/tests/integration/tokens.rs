//! GetAuthorizationToken and GetRepositoryEndpoint through the SDK, and the tokens on a native
//! endpoint (401 with `WWW-Authenticate` for missing, forged, expired or other-domain tokens).

use aws_sdk_codeartifact::types::PackageFormat;

use crate::common::*;

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

async fn token(s: &TestServer, domain: &str, duration: Option<i64>) -> (String, i64) {
    let mut req = s.client.get_authorization_token().domain(domain);
    if let Some(d) = duration {
        req = req.duration_seconds(d);
    }
    let out = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("get-authorization-token: {}", show(&e)));
    (
        out.authorization_token().expect("token").to_string(),
        out.expiration().expect("expiration").secs(),
    )
}

#[tokio::test]
async fn authorization_token_lifetimes() {
    let s = TestServer::start().await;
    s.create_domain("acme").await;
    for (duration, lifetime) in [
        (None, 43_200),
        (Some(0), 43_200),
        (Some(900), 900),
        (Some(43_200), 43_200),
    ] {
        let (t, exp) = token(&s, "acme", duration).await;
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "token alphabet: {t}"
        );
        assert!(
            (exp - now_secs() - lifetime).abs() <= 5,
            "duration {duration:?}: expires at {exp}, now {}",
            now_secs()
        );
    }
    // The model allows 0..=43200; the service refuses what lies between 0 and 900.
    for bad in [1, 899] {
        let r = s
            .client
            .get_authorization_token()
            .domain("acme")
            .duration_seconds(bad)
            .send()
            .await;
        let e = assert_validation(r);
        assert!(e.message.contains("durationSeconds"), "{}", e.message);
    }
    let r = s
        .client
        .get_authorization_token()
        .domain("acme")
        .duration_seconds(43_201)
        .send()
        .await;
    assert_validation(r);
    let r = s
        .client
        .get_authorization_token()
        .domain("nope")
        .send()
        .await;
    assert_not_found(r, "domain");
    let r = s
        .client
        .get_authorization_token()
        .domain("acme")
        .domain_owner("999999999999")
        .send()
        .await;
    assert_not_found(r, "domain");
}

async fn endpoint(
    s: &TestServer,
    domain: &str,
    repo: &str,
    format: PackageFormat,
) -> Result<
    aws_sdk_codeartifact::operation::get_repository_endpoint::GetRepositoryEndpointOutput,
    aws_sdk_codeartifact::error::SdkError<
        aws_sdk_codeartifact::operation::get_repository_endpoint::GetRepositoryEndpointError,
    >,
> {
    s.client
        .get_repository_endpoint()
        .domain(domain)
        .repository(repo)
        .format(format)
        .send()
        .await
}

#[tokio::test]
async fn repository_endpoint_shape() {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    for (format, name) in [
        (PackageFormat::Npm, "npm"),
        (PackageFormat::Pypi, "pypi"),
        (PackageFormat::Maven, "maven"),
        (PackageFormat::Generic, "generic"),
    ] {
        let out = endpoint(&s, "acme", "releases", format)
            .await
            .unwrap_or_else(|e| panic!("get-repository-endpoint: {}", show(&e)));
        assert_eq!(
            out.repository_endpoint(),
            Some(format!("{}/{name}/d/acme-{}/releases/", s.endpoint, s.account()).as_str())
        );
    }
    let r = endpoint(&s, "acme", "missing", PackageFormat::Npm).await;
    assert_not_found(r, "repository");
    let r = endpoint(&s, "missing", "releases", PackageFormat::Npm).await;
    assert_not_found(r, "domain");
    let r = endpoint(&s, "acme", "releases", PackageFormat::from("tarball")).await;
    assert_validation(r);
}

#[tokio::test]
async fn configured_public_url_is_used() {
    let s =
        TestServer::start_with(|c| c.public_url = Some("https://pkg.example.test/".into())).await;
    s.domain_with_repo("acme", "releases").await;
    let out = endpoint(&s, "acme", "releases", PackageFormat::Npm)
        .await
        .expect("endpoint");
    assert_eq!(
        out.repository_endpoint(),
        Some(
            format!(
                "https://pkg.example.test/npm/d/acme-{}/releases/",
                s.account()
            )
            .as_str()
        )
    );
}
