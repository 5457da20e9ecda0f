//! `aws:SourceIp` and `aws:SecureTransport` through the real server: a policy denying the
//! client's address range is enforced (and accepted by PutDomainPermissionsPolicy), a policy
//! requiring TLS refuses a plain-HTTP request, and each refusal is audited.

use arca_service::PrincipalSpec;
use serde_json::json;

use crate::audit::audit_json;
use crate::common::*;

const ACCOUNT: &str = "111122223333";

fn user(name: &str, key: &str, policy: serde_json::Value) -> PrincipalSpec {
    PrincipalSpec {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        access_key_id: key.into(),
        secret_access_key: format!("{key}-secret-0123456789"),
        policy: Some(policy.to_string()),
        org_id: None,
    }
}

fn allow_all() -> serde_json::Value {
    json!({"Effect": "Allow", "Action": "codeartifact:*", "Resource": "*"})
}

#[tokio::test]
async fn source_ip_and_secure_transport_are_evaluated() {
    let s = TestServer::start_with(|c| {
        c.account_id = Some(ACCOUNT.into());
        c.principals = vec![
            user(
                "local",
                "AKIALOCAL00000000001",
                json!({"Version": "2012-10-17", "Statement": [
                    allow_all(),
                    // Loopback (this test's client) may not describe domains; other ranges may.
                    {"Effect": "Deny", "Action": "codeartifact:DescribeDomain", "Resource": "*",
                     "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}},
                    {"Effect": "Deny", "Action": "codeartifact:DescribeRepository", "Resource": "*",
                     "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
                ]}),
            ),
            user(
                "tls-only",
                "AKIATLSONLY000000001",
                json!({"Version": "2012-10-17", "Statement": [
                    allow_all(),
                    {"Effect": "Deny", "Action": "*", "Resource": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                ]}),
            ),
        ];
    })
    .await;
    s.domain_with_repo("acme", "releases").await;
    let local = s.client_with(
        "AKIALOCAL00000000001",
        "AKIALOCAL00000000001-secret-0123456789",
    );
    assert_err(
        local.describe_domain().domain("acme").send().await,
        403,
        "AccessDeniedException",
    );
    local
        .describe_repository()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("another range's deny does not apply: {}", show(&e)));

    let tls_only = s.client_with(
        "AKIATLSONLY000000001",
        "AKIATLSONLY000000001-secret-0123456789",
    );
    assert_err(
        tls_only.list_domains().send().await,
        403,
        "AccessDeniedException",
    );

    // A resource policy may name them now: a domain policy denying loopback to the user.
    s.client
        .put_domain_permissions_policy()
        .domain("acme")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny",
                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/local")},
                "Action": "codeartifact:ListRepositoriesInDomain",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                              "Bool": {"aws:SecureTransport": "false"}}
            }]})
            .to_string(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("put policy: {}", show(&e)));
    assert_err(
        local
            .list_repositories_in_domain()
            .domain("acme")
            .send()
            .await,
        403,
        "AccessDeniedException",
    );

    let denied: Vec<_> = audit_json(
        &s,
        &["--principal", &format!("arn:aws:iam::{ACCOUNT}:user/local")],
    )
    .await
    .into_iter()
    .map(|r| r["action"].as_str().unwrap().to_string())
    .collect();
    assert_eq!(
        denied,
        [
            "codeartifact:DescribeDomain",
            "codeartifact:ListRepositoriesInDomain"
        ]
    );
}
