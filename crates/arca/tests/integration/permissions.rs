//! Principals and permission policies through the real server: several users with identity
//! policies, the six policy operations (revisions, lock-out protection), AccessDeniedException on
//! the API, and native requests evaluated with the token's principal at each request.

use arca_service::PrincipalSpec;
use aws_sdk_codeartifact::types::PackageFormat;
use serde_json::json;

use crate::common::npm::*;
use crate::common::*;

const OTHER: &str = "444455556666";

fn user(account: &str, name: &str, key: &str, policy: serde_json::Value) -> PrincipalSpec {
    PrincipalSpec {
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        access_key_id: key.into(),
        secret_access_key: format!("{key}-secret-0123456789"),
        policy: Some(policy.to_string()),
        org_id: None,
    }
}

fn allow(actions: &[&str], resource: &str) -> serde_json::Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resource})
}

/// What `aws codeartifact login` needs besides the domain's own permission.
fn login() -> serde_json::Value {
    allow(
        &[
            "codeartifact:GetAuthorizationToken",
            "sts:GetServiceBearerToken",
        ],
        "*",
    )
}

async fn start() -> TestServer {
    TestServer::start_with(|c| {
        // The root's account is generated: users are named relative to it below, after start.
        c.account_id = Some("111122223333".into());
        c.principals = vec![
            user(
                "111122223333",
                "reader",
                "AKIAREADER0000000001",
                json!({"Version": "2012-10-17", "Statement": [
                    login(),
                    allow(&["codeartifact:Describe*", "codeartifact:List*",
                            "codeartifact:ReadFromRepository", "codeartifact:Get*"], "*"),
                ]}),
            ),
            user(
                "111122223333",
                "ci",
                "AKIACI00000000000001",
                json!({"Version": "2012-10-17", "Statement": [
                    login(),
                    allow(&["codeartifact:ReadFromRepository"], "*"),
                    allow(&["codeartifact:PublishPackageVersion"],
                          "arn:aws:codeartifact:*:111122223333:package/acme/releases/npm/acme/*"),
                ]}),
            ),
            user(
                "111122223333",
                "uploader",
                "AKIAUPLOADER00000001",
                json!({"Version": "2012-10-17", "Statement": [
                    login(),
                    allow(&["codeartifact:ReadFromRepository", "codeartifact:PublishPackageVersion"], "*"),
                ]}),
            ),
        ];
    })
    .await
}

/// [`start`], with `acme/releases` holding `@acme/kit` 1.0.0 published by the root.
async fn start_with_kit() -> TestServer {
    let s = start().await;
    s.domain_with_repo("acme", "releases").await;
    Npm::login(&s, "acme", "releases")
        .await
        .publish_ok("@acme/kit", "1.0.0", json!({}))
        .await;
    s
}

fn client_of(s: &TestServer, key: &str) -> aws_sdk_codeartifact::Client {
    s.client_with(key, &format!("{key}-secret-0123456789"))
}

async fn npm_as<'a>(
    s: &'a TestServer,
    client: &aws_sdk_codeartifact::Client,
    owner: &str,
) -> Npm<'a> {
    let t = client
        .get_authorization_token()
        .domain("acme")
        .domain_owner(owner)
        .send()
        .await
        .unwrap_or_else(|e| panic!("token: {}", show(&e)));
    Npm {
        server: s,
        base: format!("/npm/d/acme-{owner}/releases/"),
        authorization: Some(format!("Bearer {}", t.authorization_token().unwrap())),
    }
}

#[tokio::test]
async fn read_only_consumer_and_scoped_ci_key() {
    let s = start_with_kit().await;

    // The consumer reads through the API and npm, and publishes through neither.
    let reader = client_of(&s, "AKIAREADER0000000001");
    reader
        .describe_repository()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe: {}", show(&e)));
    let denied = assert_err(
        reader
            .publish_package_version()
            .domain("acme")
            .repository("releases")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("p")
            .package_version("1")
            .asset_name("a")
            .asset_sha256(sha256_hex(b"x"))
            .asset_content(b"x".to_vec().into())
            .send()
            .await,
        403,
        "AccessDeniedException",
    );
    assert!(
        denied.message.contains("user/reader") && denied.message.contains("PublishPackageVersion"),
        "{}",
        denied.message
    );
    assert_err(
        reader.create_domain().domain("mine").send().await,
        403,
        "AccessDeniedException",
    );
    let npm = npm_as(&s, &reader, "111122223333").await;
    assert_eq!(npm.get("@acme%2fkit").await.status, 200);
    let m = manifest("@acme/kit", "2.0.0", json!({}));
    let r = npm.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));

    // The CI key publishes under @acme only, natively too.
    let ci = client_of(&s, "AKIACI00000000000001");
    let npm = npm_as(&s, &ci, "111122223333").await;
    npm.publish_ok("@acme/tool", "1.0.0", json!({})).await;
    let m = manifest("widget", "1.0.0", json!({}));
    let r = npm.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_err(
        ci.describe_repository()
            .domain("acme")
            .repository("releases")
            .send()
            .await,
        403,
        "AccessDeniedException",
    );
}

#[tokio::test]
async fn policy_revisions_explicit_deny_and_lock_out() {
    let s = start().await;
    s.domain_with_repo("acme", "releases").await;
    let doc = |effect: &str, principal: &str| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": effect, "Principal": {"AWS": principal},
            "Action": "codeartifact:DescribeRepository", "Resource": "*"}]})
        .to_string()
    };
    let put = |document: String, revision: Option<&str>| {
        let mut req = s
            .client
            .put_repository_permissions_policy()
            .domain("acme")
            .repository("releases")
            .policy_document(document);
        if let Some(r) = revision {
            req = req.policy_revision(r);
        }
        req.send()
    };
    let reader_arn = "arn:aws:iam::111122223333:user/reader";
    let first = put(doc("Deny", reader_arn), None).await.unwrap();
    let p = first.policy().unwrap();
    assert_eq!(
        p.resource_arn(),
        Some(s.repo_arn("acme", "releases").as_str())
    );
    let rev1 = p.revision().unwrap().to_string();
    // The explicit Deny beats the reader's identity Allow.
    let reader = client_of(&s, "AKIAREADER0000000001");
    let describe = || {
        reader
            .describe_repository()
            .domain("acme")
            .repository("releases")
            .send()
    };
    let e = assert_err(describe().await, 403, "AccessDeniedException");
    assert!(e.message.contains("explicit deny"), "{}", e.message);

    // Optimistic locking: a stale revision is a conflict, the current one wins.
    assert_conflict(
        put(doc("Allow", reader_arn), Some("stale")).await,
        "repository",
    );
    let second = put(doc("Allow", reader_arn), Some(&rev1)).await.unwrap();
    let rev2 = second.policy().unwrap().revision().unwrap().to_string();
    assert_ne!(rev1, rev2);
    describe().await.unwrap();
    let got = s
        .client
        .get_repository_permissions_policy()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy().unwrap().revision(), Some(rev2.as_str()));
    assert_conflict(
        s.client
            .delete_repository_permissions_policy()
            .domain("acme")
            .repository("releases")
            .policy_revision(&rev1)
            .send()
            .await,
        "repository",
    );
    s.client
        .delete_repository_permissions_policy()
        .domain("acme")
        .repository("releases")
        .policy_revision(&rev2)
        .send()
        .await
        .unwrap();
    assert_not_found(
        s.client
            .get_repository_permissions_policy()
            .domain("acme")
            .repository("releases")
            .send()
            .await,
        "repository",
    );

    // What Arca does not evaluate is refused, not stored.
    let bad = json!({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "*"},
        "Action": "*", "Resource": "*"}]});
    assert_validation(put(bad.to_string(), None).await);

    // Lock-out protection: a domain policy denying everything to everyone binds users, but not
    // the root, and a Put is decided without the policy it replaces.
    let deny_all = json!({"Statement": [{"Effect": "Deny", "Principal": "*",
        "Action": "*", "Resource": "*"}]});
    s.client
        .put_domain_permissions_policy()
        .domain("acme")
        .policy_document(deny_all.to_string())
        .send()
        .await
        .unwrap();
    assert_err(
        reader.describe_domain().domain("acme").send().await,
        403,
        "AccessDeniedException",
    );
    s.client
        .describe_domain()
        .domain("acme")
        .send()
        .await
        .unwrap();
    s.client
        .put_domain_permissions_policy()
        .domain("acme")
        .policy_document(doc("Allow", reader_arn).replace("DescribeRepository", "DescribeDomain"))
        .send()
        .await
        .unwrap();
    reader
        .describe_domain()
        .domain("acme")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_follows_its_principal_and_other_accounts_need_both_policies() {
    let s = start_with_kit().await;
    // A stored principal of another account, in the root's organization.
    let mut outsider = user(
        OTHER,
        "partner",
        "AKIAPARTNER000000001",
        json!({"Statement": [login(), allow(&["codeartifact:*"], "*")]}),
    );
    outsider.org_id = Some("o-acme".into());
    s.service.add_principal(&outsider).await.unwrap();
    let partner = client_of(&s, "AKIAPARTNER000000001");
    let describe = || {
        partner
            .describe_domain()
            .domain("acme")
            .domain_owner("111122223333")
            .send()
    };
    // No policy of the domain names it: the domain stays invisible.
    assert_not_found(describe().await, "domain");
    let org = json!({"aws:PrincipalOrgID": "o-acme"});
    s.client
        .put_domain_permissions_policy()
        .domain("acme")
        .policy_document(
            json!({"Statement": [{"Effect": "Allow", "Principal": "*",
                "Action": ["codeartifact:GetAuthorizationToken", "codeartifact:DescribeDomain"],
                "Resource": "*", "Condition": {"StringEquals": org}}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    describe().await.unwrap_or_else(|e| panic!("{}", show(&e)));
    let npm = npm_as(&s, &partner, "111122223333").await;
    // No policy of the repository names it yet: the repository stays invisible.
    assert_eq!(npm.get("@acme%2fkit").await.status, 404);
    s.client
        .put_repository_permissions_policy()
        .domain("acme")
        .repository("releases")
        .policy_document(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": OTHER},
                "Action": "codeartifact:ReadFromRepository", "Resource": "*",
                "Condition": {"StringEquals": org}}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(npm.get("@acme%2fkit").await.status, 200);

    // Removed, the principal's token stops working at once; its key too.
    s.service
        .remove_principal(&format!("arn:aws:iam::{OTHER}:user/partner"))
        .await
        .unwrap();
    assert_eq!(npm.get("@acme%2fkit").await.status, 401);
    assert_err(describe().await, 403, "UnrecognizedClientException");
}

#[tokio::test]
async fn transfer_carries_principals_and_policies() {
    let s = start().await;
    s.domain_with_repo("acme", "releases").await;
    let partner = user(
        OTHER,
        "partner",
        "AKIAPARTNER000000001",
        json!({"Statement": [allow(&["codeartifact:*"], "*")]}),
    );
    s.service.add_principal(&partner).await.unwrap();
    let put = s
        .client
        .put_repository_permissions_policy()
        .domain("acme")
        .repository("releases")
        .policy_document(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": OTHER},
                "Action": "codeartifact:DescribeRepository", "Resource": "*"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    // Another installation, with a server secret of its own.
    let d = TestServer::start_with(|c| c.account_id = Some("111122223333".into())).await;
    let report = s.service.transfer_into(&d.service, |_| {}).await.unwrap();
    assert_eq!((report.principals, report.policies), (1, 1), "{report:?}");
    let got = d
        .client
        .get_repository_permissions_policy()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.policy().unwrap().revision(),
        put.policy().unwrap().revision()
    );
    assert_eq!(
        got.policy().unwrap().document(),
        put.policy().unwrap().document()
    );
    // The secret was sealed again under the destination's secret: the key works there.
    client_of(&d, "AKIAPARTNER000000001")
        .describe_repository()
        .domain("acme")
        .domain_owner("111122223333")
        .repository("releases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", show(&e)));
    // And the destination is no longer empty.
    assert!(s.service.transfer_into(&d.service, |_| {}).await.is_err());
}

/// Lock-out protection: a repository policy that denies everything to everyone does not stop a
/// user whose identity policy allows putting the policy from replacing it.
#[tokio::test]
async fn a_put_is_decided_without_the_policy_it_replaces() {
    let s = start().await;
    s.domain_with_repo("acme", "releases").await;
    s.service
        .add_principal(&user(
            "111122223333",
            "admin",
            "AKIAADMIN00000000001",
            json!({"Statement": [allow(&["codeartifact:*RepositoryPermissionsPolicy"], "*")]}),
        ))
        .await
        .unwrap();
    let admin = client_of(&s, "AKIAADMIN00000000001");
    let put = |doc: serde_json::Value| {
        admin
            .put_repository_permissions_policy()
            .domain("acme")
            .repository("releases")
            .policy_document(doc.to_string())
            .send()
    };
    put(
        json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*"}]}),
    )
    .await
    .unwrap_or_else(|e| panic!("{}", show(&e)));
    let get = || {
        admin
            .get_repository_permissions_policy()
            .domain("acme")
            .repository("releases")
            .send()
    };
    let e = assert_err(get().await, 403, "AccessDeniedException");
    assert!(e.message.contains("explicit deny"), "{}", e.message);
    // Denied everything else by the policy, the user can still replace it.
    put(
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
        "Action": "codeartifact:DescribeRepository", "Resource": "*"}]}),
    )
    .await
    .unwrap_or_else(|e| panic!("{}", show(&e)));
    get().await.unwrap_or_else(|e| panic!("{}", show(&e)));
}

/// Every version in acme/releases as `format namespace/name version`, sorted (the root lists them).
async fn stored(s: &TestServer) -> Vec<String> {
    let out = s
        .client
        .list_packages()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap();
    let mut all = Vec::new();
    for p in out.packages() {
        let versions = s
            .client
            .list_package_versions()
            .domain("acme")
            .repository("releases")
            .format(p.format().unwrap().clone())
            .set_namespace(p.namespace().map(str::to_string))
            .package(p.package().unwrap())
            .send()
            .await
            .unwrap();
        for v in versions.versions() {
            all.push(format!(
                "{} {}/{} {}",
                p.format().unwrap().as_str(),
                p.namespace().unwrap_or_default(),
                p.package().unwrap(),
                v.version()
            ));
        }
    }
    all.sort();
    all
}

/// Native publishes of every format ask for PublishPackageVersion on the package with the token's
/// user: the read-only consumer and the CI key (allowed only `npm/acme/*`) are refused with 403
/// in each protocol, nothing is stored, and their reads still work.
#[tokio::test]
async fn every_format_refuses_a_publish_the_token_user_may_not_make() {
    let s = start_with_kit().await;
    for key in ["AKIAREADER0000000001", "AKIACI00000000000001"] {
        let client = client_of(&s, key);
        let npm = npm_as(&s, &client, "111122223333").await;
        let at = |format: &str| Npm {
            server: &s,
            base: npm.base.replacen("/npm/", &format!("/{format}/"), 1),
            authorization: npm.authorization.clone(),
        };
        let (cargo, ruby, nuget, maven) = (at("cargo"), at("ruby"), at("nuget"), at("maven"));
        let file =
            crate::cargo::crate_file("kit", "1.0.0", &crate::cargo::manifest("kit", "1.0.0", ""));
        let body = crate::cargo::body(&crate::cargo::meta("kit", "1.0.0"), &file);
        let refusals = [
            ("cargo", crate::cargo::publish(&cargo, body).await),
            (
                "ruby",
                crate::ruby::push(
                    &ruby,
                    crate::ruby::gem(&crate::ruby::gemspec("kit", "1.0.0", "ruby", &[])),
                )
                .await,
            ),
            (
                "nuget",
                crate::nuget::push(
                    &nuget,
                    &crate::nuget::nupkg("Kit", &crate::nuget::nuspec("Kit", "1.0.0", "")),
                )
                .await,
            ),
            (
                "maven",
                maven
                    .request(
                        http::Method::PUT,
                        "com/acme/kit/1.0.0/kit-1.0.0.jar",
                        &[],
                        b"jar".to_vec(),
                    )
                    .await,
            ),
        ];
        for (format, r) in refusals {
            assert_eq!(
                r.status,
                403,
                "{key} publishing {format}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
        // Reading is allowed to both.
        assert_eq!(cargo.get("config.json").await.status, 200, "{key}");
        assert_eq!(ruby.get("names").await.status, 200, "{key}");
    }
    // Nothing but the root's npm package was stored.
    assert_eq!(stored(&s).await, ["npm acme/kit 1.0.0"]);
}

/// A Maven deploy needs PutPackageMetadata besides PublishPackageVersion (§C4): a user with only
/// the latter uploads the files, and its `maven-metadata.xml` (which publishes them) is refused.
#[tokio::test]
async fn maven_metadata_needs_put_package_metadata() {
    let s = start_with_kit().await;
    let client = client_of(&s, "AKIAUPLOADER00000001");
    let npm = npm_as(&s, &client, "111122223333").await;
    let maven = Npm {
        server: &s,
        base: npm.base.replacen("/npm/", "/maven/", 1),
        authorization: npm.authorization.clone(),
    };
    let put = |path: &'static str, body: Vec<u8>| maven.request(http::Method::PUT, path, &[], body);
    let r = put("com/acme/app/1.0/app-1.0.pom", crate::maven::pom("1.0", "")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = put("com/acme/app/1.0/app-1.0.jar", b"jar".to_vec()).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = put(
        "com/acme/app/maven-metadata.xml",
        crate::maven::metadata(&["1.0"]),
    )
    .await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    let v = crate::maven::describe(&s, "1.0").await;
    assert_eq!(v.status().unwrap().as_str(), "Unfinished");
}

/// The consumer and the CI key (allowed only `npm/acme/*`) are refused a twine-style PyPI upload
/// and a Swift registry publish with 403, nothing of theirs is stored, and they still read the
/// root's releases through both endpoints.
#[tokio::test]
async fn pypi_uploads_and_swift_publishes_need_publish_package_version() {
    let s = start_with_kit().await;
    let root_pypi = crate::pypi::login(&s).await;
    crate::pypi::upload_ok(&root_pypi, "kit", "1.0.0", "kit-1.0.0.tar.gz", 1).await;
    let root_swift = crate::swift::login(&s, "releases").await;
    let zip = crate::swift::archive("Kit", "root");
    let r = crate::swift::publish(
        &root_swift,
        "mona.kit",
        "1.0.0",
        crate::swift::form(&zip, None),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let before = stored(&s).await;
    assert_eq!(
        before,
        [
            "npm acme/kit 1.0.0",
            "pypi /kit 1.0.0",
            "swift mona/kit 1.0.0"
        ]
    );

    for key in ["AKIAREADER0000000001", "AKIACI00000000000001"] {
        let client = client_of(&s, key);
        let npm = npm_as(&s, &client, "111122223333").await;
        let swift = Npm {
            server: &s,
            base: npm.base.replacen("/npm/", "/swift/", 1),
            authorization: npm.authorization.clone(),
        };
        let pypi = crate::pypi::as_pypi(npm);
        // A new version of the root's package, and a new package.
        for (name, version) in [("kit", "2.0.0"), ("other", "1.0.0")] {
            let file = format!("{name}-{version}.tar.gz");
            let body = crate::pypi::form(name, version, &file, b"sdist", &[]);
            let r = crate::pypi::upload(&pypi, body).await;
            assert_eq!(
                r.status,
                403,
                "{key} uploading {file}: {}",
                String::from_utf8_lossy(&r.body)
            );
            let id = format!("mona.{name}");
            let zip = crate::swift::archive(name, key);
            let r =
                crate::swift::publish(&swift, &id, version, crate::swift::form(&zip, None)).await;
            assert_eq!(
                r.status,
                403,
                "{key} publishing {id} {version}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
        // Reads still work.
        let r = pypi.get("simple/kit/").await;
        assert_eq!(r.status, 200, "{key}: {}", String::from_utf8_lossy(&r.body));
        assert!(String::from_utf8_lossy(&r.body).contains("kit-1.0.0.tar.gz"));
        let r = pypi.get("simple/kit/1.0.0/kit-1.0.0.tar.gz").await;
        assert_eq!(r.status, 200, "{key}");
        let r = swift
            .request(
                http::Method::GET,
                "mona/kit",
                &[("accept", "application/vnd.swift.registry.v1+json")],
                Vec::new(),
            )
            .await;
        assert_eq!(r.status, 200, "{key}: {}", String::from_utf8_lossy(&r.body));
        assert!(r.json()["releases"].get("1.0.0").is_some(), "{key}");
    }
    assert_eq!(stored(&s).await, before);
}
