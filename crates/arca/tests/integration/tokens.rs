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

/// An authorization token as Arca signs them, with any claims: for expired tokens (the API cannot
/// issue one shorter than 15 minutes).
fn forge(secret: &str, claims: serde_json::Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mac = |key: &[u8], data: &[u8]| {
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    };
    let key = mac(secret.as_bytes(), b"arca authorization token v1");
    let payload = claims.to_string();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(mac(&key, payload.as_bytes()))
    )
}

#[tokio::test]
async fn native_endpoints_take_the_token_as_bearer_or_basic_password() {
    use base64::Engine;
    let s = TestServer::start_with(|c| c.token_secret = Some("native-test-secret".into())).await;
    s.domain_with_repo("acme", "releases").await;
    s.domain_with_repo("other", "releases").await;
    let mut npm = crate::common::npm::Npm::login(&s, "acme", "releases").await;
    assert_eq!(npm.get("-/ping").await.status, 200);
    let bearer = npm.authorization.clone().unwrap();
    let token = bearer.trim_start_matches("Bearer ").to_string();
    let basic = |user: &str, password: &str| {
        let raw = format!("{user}:{password}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    };
    for user in ["aws", "anyone"] {
        npm.authorization = Some(basic(user, &token));
        assert_eq!(npm.get("-/ping").await.status, 200, "basic as {user}");
    }

    let (other, _) = token_for(&s, "other").await;
    let now = now_secs();
    let claims = |exp: i64| serde_json::json!({"v": 1, "a": s.account(), "o": s.account(), "d": "acme", "iat": now - 50_000, "exp": exp});
    let expired = forge("native-test-secret", claims(now - 1));
    let wrong_key = forge("another-secret", claims(now + 3600));
    assert_eq!(
        npm_with(
            &npm,
            Some(format!(
                "Bearer {}",
                forge("native-test-secret", claims(now + 3600))
            ))
        )
        .get("-/ping")
        .await
        .status,
        200,
        "the forging helper signs like the server"
    );
    let mut tampered = token.clone();
    tampered.insert(3, 'x');
    for (what, auth) in [
        ("no credentials", None),
        ("expired", Some(format!("Bearer {expired}"))),
        ("wrong key", Some(format!("Bearer {wrong_key}"))),
        ("tampered", Some(format!("Bearer {tampered}"))),
        ("other domain", Some(format!("Bearer {other}"))),
        ("other domain, basic", Some(basic("aws", &other))),
        (
            "SigV4 keys",
            Some(basic(
                &s.credentials.access_key_id,
                &s.credentials.secret_access_key,
            )),
        ),
    ] {
        let r = npm_with(&npm, auth).get("widget").await;
        assert_eq!(
            r.status,
            401,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"arca\""),
            "{what}"
        );
        assert!(r.json()["error"].is_string(), "{what}");
    }
}

#[tokio::test]
async fn native_paths_that_name_no_endpoint() {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    let npm = crate::common::npm::Npm::login(&s, "acme", "releases").await;
    let auth = npm.authorization.clone();
    let at = |base: String| crate::common::npm::Npm {
        server: &s,
        base,
        authorization: auth.clone(),
    };
    let acct = s.account();
    for (base, status) in [
        (format!("/tarball/d/acme-{acct}/releases/"), 404),
        (format!("/npm/d/acme-{acct}/missing/"), 404),
        (format!("/maven/d/acme-{acct}/releases/"), 404),
        ("/npm/d/acme-12/releases/".to_string(), 404),
    ] {
        let r = at(base.clone()).get("simple/").await;
        assert_eq!(
            r.status,
            status,
            "{base}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

async fn token_for(s: &TestServer, domain: &str) -> (String, i64) {
    token(s, domain, None).await
}

fn npm_with<'a>(
    npm: &crate::common::npm::Npm<'a>,
    authorization: Option<String>,
) -> crate::common::npm::Npm<'a> {
    crate::common::npm::Npm {
        server: npm.server,
        base: npm.base.clone(),
        authorization,
    }
}
