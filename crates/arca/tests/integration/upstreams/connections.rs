//! AssociateExternalConnection and DisassociateExternalConnection with their documented errors, and
//! the connection in DescribeRepository.

use arca_service::upstream::connections::ExternalSource;
use aws_sdk_codeartifact::types::{ExternalConnectionStatus, PackageFormat, RepositoryDescription};

use crate::common::*;

async fn server_with_npm_source() -> TestServer {
    let s = TestServer::start_with(|c| {
        c.external_connections.insert(
            "public:npmjs".into(),
            ExternalSource::new("http://127.0.0.1:9/").unwrap(),
        );
    })
    .await;
    s.domain_with_repo("dom", "npm-store").await;
    s
}

fn connections(
    r: &RepositoryDescription,
) -> Vec<(String, PackageFormat, ExternalConnectionStatus)> {
    r.external_connections()
        .iter()
        .map(|c| {
            (
                c.external_connection_name().unwrap_or_default().to_string(),
                c.package_format().cloned().unwrap(),
                c.status().cloned().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn associate_describe_disassociate() {
    let s = server_with_npm_source().await;
    let out = s
        .client
        .associate_external_connection()
        .domain("dom")
        .repository("npm-store")
        .external_connection("public:npmjs")
        .send()
        .await
        .unwrap();
    let expected = vec![(
        "public:npmjs".to_string(),
        PackageFormat::Npm,
        ExternalConnectionStatus::Available,
    )];
    assert_eq!(connections(out.repository().unwrap()), expected);
    let described = s
        .client
        .describe_repository()
        .domain("dom")
        .repository("npm-store")
        .send()
        .await
        .unwrap();
    assert_eq!(connections(described.repository().unwrap()), expected);

    // One connection per repository: the same one again, or another, is a conflict.
    for name in ["public:npmjs", "public:pypi"] {
        let e = err(s
            .client
            .associate_external_connection()
            .domain("dom")
            .repository("npm-store")
            .external_connection(name)
            .send()
            .await);
        // public:pypi has no URL here: refused before the conflict is even looked at.
        let want = if name == "public:npmjs" {
            (409, "ConflictException")
        } else {
            (400, "ValidationException")
        };
        assert_eq!((e.status, e.code.as_str()), want, "{name}: {e:?}");
    }

    let out = s
        .client
        .disassociate_external_connection()
        .domain("dom")
        .repository("npm-store")
        .external_connection("public:npmjs")
        .send()
        .await
        .unwrap();
    assert!(connections(out.repository().unwrap()).is_empty());
    // Not attached any more.
    assert_not_found(
        s.client
            .disassociate_external_connection()
            .domain("dom")
            .repository("npm-store")
            .external_connection("public:npmjs")
            .send()
            .await,
        "repository",
    );
}

#[tokio::test]
async fn unknown_unconfigured_and_missing() {
    let s = server_with_npm_source().await;
    let e = assert_validation(
        s.client
            .associate_external_connection()
            .domain("dom")
            .repository("npm-store")
            .external_connection("public:left-pad")
            .send()
            .await,
    );
    assert!(e.message.contains("Unknown external connection"), "{e:?}");
    let e = assert_validation(
        s.client
            .associate_external_connection()
            .domain("dom")
            .repository("npm-store")
            .external_connection("public:crates-io")
            .send()
            .await,
    );
    assert!(
        e.message.contains("--external-connection"),
        "names the setting: {e:?}"
    );
    assert_not_found(
        s.client
            .associate_external_connection()
            .domain("dom")
            .repository("ghost")
            .external_connection("public:npmjs")
            .send()
            .await,
        "repository",
    );
    assert_not_found(
        s.client
            .disassociate_external_connection()
            .domain("dom")
            .repository("npm-store")
            .external_connection("public:npmjs")
            .send()
            .await,
        "repository",
    );
}
