//! Validation through raw HTTP (the SDK would refuse some of these requests locally), the
//! ValidationException wire format, unknown operations and not-yet-implemented operations.

use aws_sdk_codeartifact::types::PackageFormat;

use crate::common::*;

const PV: &str = "/v1/package/version";

/// Asserts a 400 ValidationException with the given reason; returns the message.
#[track_caller]
fn validation(r: &RawResponse, reason: &str) -> String {
    let j = r.assert_error(400, "ValidationException");
    assert_eq!(j["reason"], reason, "{j}");
    j["message"].as_str().expect("message").to_string()
}

#[tokio::test]
async fn uppercase_domain() {
    let s = TestServer::start().await;
    let r = s.raw("GET", "/v1/domain?domain=Acme", b"").await;
    let m = validation(&r, "FIELD_VALIDATION_FAILED");
    assert_eq!(
        m,
        "1 validation error detected: Value 'Acme' at 'domain' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-z][a-z0-9\\-]{0,48}[a-z0-9]"
    );
    // The SDK does not check patterns either: the same answer through it, with `reason` parsed.
    let e = assert_validation(s.client.create_domain().domain("Acme").send().await);
    assert_eq!(e.reason.as_deref(), Some("FIELD_VALIDATION_FAILED"));
    assert!(e.message.contains("'Acme' at 'domain'"), "{}", e.message);
    let l = s.client.list_domains().send().await.expect("list");
    assert!(l.domains().is_empty());
}

#[tokio::test]
async fn scoped_npm_package_name_with_slash() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let r = s
        .raw(
            "GET",
            &format!(
                "{PV}?domain=dom&repository=repo&format=npm&package={}&version=1.0.0",
                q("@scope/name")
            ),
            b"",
        )
        .await;
    let m = validation(&r, "FIELD_VALIDATION_FAILED");
    assert_eq!(
        m,
        "1 validation error detected: Value '@scope/name' at 'package' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [^#/\\s]+"
    );
}

#[tokio::test]
async fn version_with_a_space() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let r = s
        .raw(
            "GET",
            &format!("{PV}?domain=dom&repository=repo&format=generic&namespace=ns&package=p&version=1%200"),
            b"",
        )
        .await;
    let m = validation(&r, "FIELD_VALIDATION_FAILED");
    assert_eq!(
        m,
        "1 validation error detected: Value '1 0' at 'packageVersion' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [^#/\\s]+"
    );
}

#[tokio::test]
async fn max_results_out_of_range() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    s.publish_ok("dom", "repo", "p", "1", "a", b"a", false)
        .await;
    let base = "/v1/package/version/assets?domain=dom&repository=repo&format=generic&namespace=ns&package=p&version=1";
    let r = s.raw("POST", &format!("{base}&max-results=0"), b"").await;
    assert_eq!(
        validation(&r, "FIELD_VALIDATION_FAILED"),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    let r = s
        .raw("POST", &format!("{base}&max-results=1001"), b"")
        .await;
    assert_eq!(
        validation(&r, "FIELD_VALIDATION_FAILED"),
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: \
         Member must have value less than or equal to 1000"
    );
    // The bounds themselves are fine.
    for n in [1, 1000] {
        let r = s.raw("POST", &format!("{base}&max-results={n}"), b"").await;
        assert_eq!(r.status, 200, "{n}: {:?}", r.body);
        assert_eq!(r.json()["assets"].as_array().map(Vec::len), Some(1));
    }
    // Not a number.
    let r = s.raw("POST", &format!("{base}&max-results=ten"), b"").await;
    let m = validation(&r, "CANNOT_PARSE");
    assert!(m.contains("maxResults"), "{m}");

    // ListDomains takes maxResults in the JSON body.
    let r = s.raw("POST", "/v1/domains", br#"{"maxResults":0}"#).await;
    assert_eq!(
        validation(&r, "FIELD_VALIDATION_FAILED"),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
}

#[tokio::test]
async fn uppercase_format() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let r = s
        .raw(
            "GET",
            &format!("{PV}?domain=dom&repository=repo&format=NPM&package=p&version=1"),
            b"",
        )
        .await;
    let m = validation(&r, "FIELD_VALIDATION_FAILED");
    assert!(
        m.starts_with(
            "1 validation error detected: Value 'NPM' at 'format' failed to satisfy constraint: \
             Member must satisfy enum value set: ["
        ),
        "{m}"
    );
    for f in [
        "npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo",
    ] {
        assert!(m.contains(f), "{m} lacks {f}");
    }
    // The SDK sends unknown enum values unchanged.
    let e = assert_validation(
        s.client
            .describe_package_version()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::from("NPM"))
            .package("p")
            .package_version("1")
            .send()
            .await,
    );
    assert!(e.message.contains("'NPM' at 'format'"), "{}", e.message);
}

#[tokio::test]
async fn several_violations_are_reported_together() {
    let s = TestServer::start().await;
    let r = s
        .raw("GET", "/v1/repository?domain=Acme&repository=r%21", b"")
        .await;
    let m = validation(&r, "FIELD_VALIDATION_FAILED");
    assert!(m.starts_with("2 validation errors detected: "), "{m}");
    assert!(m.contains("Value 'Acme' at 'domain'"), "{m}");
    assert!(m.contains("Value 'r!' at 'repository'"), "{m}");
    assert!(m.contains("; "), "{m}");
}

#[tokio::test]
async fn missing_required_member() {
    let s = TestServer::start().await;
    let r = s.raw("GET", "/v1/domain", b"").await;
    let m = validation(&r, "FIELD_VALIDATION_FAILED");
    assert_eq!(
        m,
        "1 validation error detected: Value null at 'domain' failed to satisfy constraint: \
         Member must not be null"
    );
    // Too short (the SDK would refuse this locally).
    let r = s.raw("GET", "/v1/domain?domain=a", b"").await;
    let m = validation(&r, "FIELD_VALIDATION_FAILED");
    assert!(
        m.contains("Member must have length greater than or equal to 2"),
        "{m}"
    );
}

#[tokio::test]
async fn malformed_json_body() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    let r = s
        .raw(
            "POST",
            "/v1/repository?domain=dom&repository=repo",
            b"{\"description\": ",
        )
        .await;
    validation(&r, "CANNOT_PARSE");
    let r = s
        .raw(
            "POST",
            "/v1/repository?domain=dom&repository=repo",
            b"{\"description\": 42}",
        )
        .await;
    let e = r.assert_error(400, "ValidationException");
    assert!(
        e["reason"] == "CANNOT_PARSE" || e["reason"] == "FIELD_VALIDATION_FAILED",
        "{e}"
    );
    assert_not_found(
        s.client
            .describe_repository()
            .domain("dom")
            .repository("repo")
            .send()
            .await,
        "repository",
    );
    // An empty body and unknown keys are fine.
    let r = s
        .raw("POST", "/v1/repository?domain=dom&repository=repo", b"")
        .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let r = s
        .raw(
            "POST",
            "/v1/repository?domain=dom&repository=repo2",
            br#"{"futureMember": true, "description": "d"}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["repository"]["description"], "d");
}

#[tokio::test]
async fn unknown_operation() {
    let s = TestServer::start().await;
    for (method, path) in [
        ("POST", "/v1/does-not-exist"),
        ("GET", "/"),
        ("PATCH", "/v1/domain?domain=dom"),
        ("GET", "/v1/domains"),
    ] {
        let r = s.raw(method, path, b"").await;
        let m = validation(&r, "UNKNOWN_OPERATION");
        assert!(!m.is_empty(), "{method} {path}");
    }
}

#[tokio::test]
async fn success_responses_are_json_with_request_id() {
    let s = TestServer::start().await;
    let r = s.raw("POST", "/v1/domain?domain=dom", b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("x-amzn-RequestId").is_some_and(|v| !v.is_empty()));
    let j = r.json();
    assert_eq!(j["domain"]["name"], "dom");
    // Timestamps are epoch seconds, as JSON numbers.
    assert!(j["domain"]["createdTime"].is_number(), "{j}");
    // ListDomains without nextToken: the member is absent, not null.
    let r = s.raw("POST", "/v1/domains", b"{}").await;
    let j = r.json();
    assert!(j.get("nextToken").is_none(), "{j}");
}

/// Every modeled operation is implemented: the policy operations, the last to come, answer their
/// own errors (a document outside the grammar, no policy yet), never 501.
#[tokio::test]
async fn policy_operations_are_implemented() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let c = &s.client;
    let e = assert_validation(
        c.put_domain_permissions_policy()
            .domain("dom")
            .policy_document("{}")
            .send()
            .await,
    );
    assert!(e.message.contains("Statement"), "{}", e.message);
    assert_not_found(
        c.delete_domain_permissions_policy()
            .domain("dom")
            .send()
            .await,
        "domain",
    );
    assert_not_found(
        c.get_repository_permissions_policy()
            .domain("dom")
            .repository("repo")
            .send()
            .await,
        "repository",
    );
    assert_not_found(
        c.delete_repository_permissions_policy()
            .domain("dom")
            .repository("repo")
            .send()
            .await,
        "repository",
    );
    let r = s
        .raw("GET", "/v1/domain/permissions/policy?domain=dom", b"")
        .await;
    r.assert_error(404, "ResourceNotFoundException");
}

/// Every (method, path) of the model's 48 operations (`codeartifact-behavior.md` §1.2).
const ALL_OPERATIONS: [(&str, &str, &str); 48] = [
    (
        "AssociateExternalConnection",
        "POST",
        "/v1/repository/external-connection",
    ),
    ("CopyPackageVersions", "POST", "/v1/package/versions/copy"),
    ("CreateDomain", "POST", "/v1/domain"),
    ("CreatePackageGroup", "POST", "/v1/package-group"),
    ("CreateRepository", "POST", "/v1/repository"),
    ("DeleteDomain", "DELETE", "/v1/domain"),
    (
        "DeleteDomainPermissionsPolicy",
        "DELETE",
        "/v1/domain/permissions/policy",
    ),
    ("DeletePackage", "DELETE", "/v1/package"),
    ("DeletePackageGroup", "DELETE", "/v1/package-group"),
    (
        "DeletePackageVersions",
        "POST",
        "/v1/package/versions/delete",
    ),
    ("DeleteRepository", "DELETE", "/v1/repository"),
    (
        "DeleteRepositoryPermissionsPolicy",
        "DELETE",
        "/v1/repository/permissions/policies",
    ),
    ("DescribeDomain", "GET", "/v1/domain"),
    ("DescribePackage", "GET", "/v1/package"),
    ("DescribePackageGroup", "GET", "/v1/package-group"),
    ("DescribePackageVersion", "GET", "/v1/package/version"),
    ("DescribeRepository", "GET", "/v1/repository"),
    (
        "DisassociateExternalConnection",
        "DELETE",
        "/v1/repository/external-connection",
    ),
    (
        "DisposePackageVersions",
        "POST",
        "/v1/package/versions/dispose",
    ),
    (
        "GetAssociatedPackageGroup",
        "GET",
        "/v1/get-associated-package-group",
    ),
    ("GetAuthorizationToken", "POST", "/v1/authorization-token"),
    (
        "GetDomainPermissionsPolicy",
        "GET",
        "/v1/domain/permissions/policy",
    ),
    ("GetPackageVersionAsset", "GET", "/v1/package/version/asset"),
    (
        "GetPackageVersionReadme",
        "GET",
        "/v1/package/version/readme",
    ),
    ("GetRepositoryEndpoint", "GET", "/v1/repository/endpoint"),
    (
        "GetRepositoryPermissionsPolicy",
        "GET",
        "/v1/repository/permissions/policy",
    ),
    (
        "ListAllowedRepositoriesForGroup",
        "GET",
        "/v1/package-group-allowed-repositories",
    ),
    (
        "ListAssociatedPackages",
        "GET",
        "/v1/list-associated-packages",
    ),
    ("ListDomains", "POST", "/v1/domains"),
    ("ListPackageGroups", "POST", "/v1/package-groups"),
    (
        "ListPackageVersionAssets",
        "POST",
        "/v1/package/version/assets",
    ),
    (
        "ListPackageVersionDependencies",
        "POST",
        "/v1/package/version/dependencies",
    ),
    ("ListPackageVersions", "POST", "/v1/package/versions"),
    ("ListPackages", "POST", "/v1/packages"),
    ("ListRepositories", "POST", "/v1/repositories"),
    (
        "ListRepositoriesInDomain",
        "POST",
        "/v1/domain/repositories",
    ),
    (
        "ListSubPackageGroups",
        "POST",
        "/v1/package-groups/sub-groups",
    ),
    ("ListTagsForResource", "POST", "/v1/tags"),
    (
        "PublishPackageVersion",
        "POST",
        "/v1/package/version/publish",
    ),
    (
        "PutDomainPermissionsPolicy",
        "PUT",
        "/v1/domain/permissions/policy",
    ),
    ("PutPackageOriginConfiguration", "POST", "/v1/package"),
    (
        "PutRepositoryPermissionsPolicy",
        "PUT",
        "/v1/repository/permissions/policy",
    ),
    ("TagResource", "POST", "/v1/tag"),
    ("UntagResource", "POST", "/v1/untag"),
    ("UpdatePackageGroup", "PUT", "/v1/package-group"),
    (
        "UpdatePackageGroupOriginConfiguration",
        "PUT",
        "/v1/package-group-origin-configuration",
    ),
    (
        "UpdatePackageVersionsStatus",
        "POST",
        "/v1/package/versions/update_status",
    ),
    ("UpdateRepository", "PUT", "/v1/repository"),
];

/// All 48 operations are routed. The ones Arca does not implement answer 501 naming the operation;
/// the implemented ones never do (called without members they fail validation, or succeed).
#[tokio::test]
async fn every_model_operation_is_routed() {
    use arca_api_codeartifact::operation::IMPLEMENTED;
    let s = TestServer::start().await;
    for name in IMPLEMENTED {
        assert!(
            ALL_OPERATIONS.iter().any(|(n, _, _)| *n == name),
            "{name} is not a model operation"
        );
    }
    let mut not_implemented = 0;
    for (name, method, path) in ALL_OPERATIONS {
        let r = if name == "PublishPackageVersion" {
            // Its body streams: the signature covers the (signed) asset hash header, botocore-style.
            let empty = arca_sigv4::EMPTY_PAYLOAD_SHA256;
            s.send_raw(
                RawRequest::new(method, path)
                    .header("x-amz-content-sha256", empty)
                    .signed_by(
                        &s.credentials.access_key_id,
                        &s.credentials.secret_access_key,
                    )
                    .payload_hash(empty),
            )
            .await
        } else {
            s.raw(method, path, b"").await
        };
        let body = String::from_utf8_lossy(&r.body).to_string();
        if IMPLEMENTED.contains(&name) {
            assert!(
                r.status == 200 || r.status == 400,
                "{name} ({method} {path}): {} {body}",
                r.status
            );
            if r.status == 400 {
                let j = r.assert_error(400, "ValidationException");
                assert_ne!(j["reason"], "UNKNOWN_OPERATION", "{name}: {j}");
            }
        } else {
            not_implemented += 1;
            let j = r.assert_error(501, "NotImplementedException");
            assert!(
                j["message"].as_str().is_some_and(|m| m.contains(name)),
                "{name}: {j}"
            );
        }
    }
    assert_eq!(not_implemented, 48 - IMPLEMENTED.len());
}
