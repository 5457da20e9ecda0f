//! The audit log through the real server and the real binary's `arca audit`: every write (API and
//! native) and every refusal (API and native, reads included) gives exactly one record, with the
//! principal, action, resource, result, request id and the client's address; successful reads
//! give none.

use arca_service::PrincipalSpec;
use http::Method;
use serde_json::{json, Value};

use crate::common::npm::*;
use crate::common::*;

const ACCOUNT: &str = "111122223333";
const READER_KEY: &str = "AKIAREADER0000000001";

fn reader() -> PrincipalSpec {
    PrincipalSpec {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/reader"),
        access_key_id: READER_KEY.into(),
        secret_access_key: format!("{READER_KEY}-secret-0123456789"),
        policy: Some(
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken",
                           "codeartifact:ReadFromRepository", "codeartifact:Describe*"],
                "Resource": "*"
            }]})
            .to_string(),
        ),
        org_id: None,
    }
}

/// `arca ARGS --data-dir D` on the server's data directory, which must succeed; its stdout.
async fn arca(s: &TestServer, args: &[&str]) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_arca"))
        .args(args)
        .arg("--data-dir")
        .arg(&s.data_dir)
        .output()
        .await
        .expect("run arca");
    assert!(
        out.status.success(),
        "arca {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `arca audit --json ARGS`: one JSON object per line.
pub async fn audit_json(s: &TestServer, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    arca(s, &all)
        .await
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// (principal, action, resource, result) of each record.
fn summary(records: &[Value]) -> Vec<[String; 4]> {
    records
        .iter()
        .map(|r| {
            ["principalArn", "action", "resourceArn", "result"].map(|k| {
                r[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {r}"))
                    .to_string()
            })
        })
        .collect()
}

#[tokio::test]
async fn writes_and_denials_give_exactly_their_records() {
    let s = TestServer::start_with(|c| {
        c.account_id = Some(ACCOUNT.into());
        c.principals = vec![reader()];
    })
    .await;
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    let user = reader().arn;
    let domain_arn = s.domain_arn("acme");
    let package = |format: &str, ns: &str, name: &str| {
        format!(
            "arn:aws:codeartifact:us-east-1:{ACCOUNT}:package/acme/releases/{format}/{ns}/{name}"
        )
    };

    // The root: two API writes, a native publish, a native tag write; reads in between.
    s.domain_with_repo("acme", "releases").await;
    let npm = Npm::login(&s, "acme", "releases").await;
    npm.publish_ok("@acme/kit", "1.0.0", json!({})).await;
    assert_eq!(npm.get("@acme%2fkit").await.status, 200);
    let tagged = npm
        .request(
            Method::PUT,
            "-/package/@acme%2fkit/dist-tags/stable",
            &[("content-type", "application/json")],
            b"\"1.0.0\"".to_vec(),
        )
        .await;
    assert_eq!(
        tagged.status,
        200,
        "{}",
        String::from_utf8_lossy(&tagged.body)
    );

    // The reader: reads pass unrecorded; an API publish, an API delete and an npm publish are
    // refused and recorded.
    let client = s.client_with(READER_KEY, &format!("{READER_KEY}-secret-0123456789"));
    client
        .describe_repository()
        .domain("acme")
        .repository("releases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe: {}", show(&e)));
    assert_err(
        publish_as(&client, ["acme", "releases", "p", "1", "a"], b"x", false).await,
        403,
        "AccessDeniedException",
    );
    assert_err(
        client
            .list_packages()
            .domain("acme")
            .repository("releases")
            .send()
            .await,
        403,
        "AccessDeniedException",
    );
    let token = client
        .get_authorization_token()
        .domain("acme")
        .send()
        .await
        .unwrap_or_else(|e| panic!("token: {}", show(&e)));
    let reader_npm = Npm {
        server: &s,
        base: format!("/npm/d/acme-{ACCOUNT}/releases/"),
        authorization: Some(format!("Bearer {}", token.authorization_token().unwrap())),
    };
    assert_eq!(reader_npm.get("@acme%2fkit").await.status, 200);
    let m = manifest("@acme/kit", "2.0.0", json!({}));
    let refused = reader_npm.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(refused.status, 403);
    // Operator requests are the root's: the wire's own refusal is recorded too.
    let purge = arca::signed::call(
        &arca::signed::client().unwrap(),
        Method::POST,
        &format!("{}/_arca/cache/purge", s.endpoint),
        &arca::signed::SigningKey {
            access_key_id: READER_KEY.into(),
            secret_access_key: format!("{READER_KEY}-secret-0123456789"),
            session_token: None,
            region: "us-east-1".into(),
        },
    )
    .await;
    let e = purge.expect_err("a user's purge is refused").to_string();
    assert!(e.contains("AccessDenied"), "{e}");

    let records = audit_json(&s, &[]).await;
    let row = |who: &str, action: &str, resource: &str, result: &str| {
        [who, &format!("codeartifact:{action}"), resource, result].map(str::to_string)
    };
    assert_eq!(
        summary(&records),
        vec![
            row(&root, "CreateDomain", "*", "allowed"),
            row(&root, "CreateRepository", &domain_arn, "allowed"),
            row(
                &root,
                "PublishPackageVersion",
                &package("npm", "acme", "kit"),
                "allowed"
            ),
            row(
                &root,
                "PutPackageMetadata",
                &package("npm", "acme", "kit"),
                "allowed"
            ),
            row(
                &user,
                "PublishPackageVersion",
                &package("generic", NS, "p"),
                "denied"
            ),
            row(
                &user,
                "ListPackages",
                &s.repo_arn("acme", "releases"),
                "denied"
            ),
            row(
                &user,
                "PublishPackageVersion",
                &package("npm", "acme", "kit"),
                "denied"
            ),
            [&user, "arca:PurgeUpstreamCache", "*", "denied"].map(str::to_string),
        ]
    );
    let mut ids = std::collections::BTreeSet::new();
    for r in &records {
        assert_eq!(r["sourceIp"], "127.0.0.1", "{r}");
        assert!(
            ids.insert(r["requestId"].as_str().unwrap().to_string()),
            "{r}"
        );
        assert!(r["time"].as_str().unwrap().ends_with('Z'), "{r}");
    }

    // The filters.
    assert_eq!(
        summary(&audit_json(&s, &["--principal", &user]).await),
        summary(&records[4..])
    );
    assert_eq!(
        summary(&audit_json(&s, &["--action", "codeartifact:PublishPackageVersion"]).await),
        vec![
            summary(&records)[2].clone(),
            summary(&records)[4].clone(),
            summary(&records)[6].clone()
        ]
    );
    assert_eq!(
        audit_json(&s, &["--since", "2100-01-01T00:00:00Z"]).await,
        vec![] as Vec<Value>
    );
    assert_eq!(
        audit_json(&s, &["--since", "1h"]).await.len(),
        records.len()
    );
}

/// Records older than the retention are pruned by `arca gc`; newer ones stay.
#[tokio::test]
async fn gc_prunes_records_older_than_the_retention() {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    assert_eq!(audit_json(&s, &[]).await.len(), 2);
    arca(&s, &["gc", "--audit-retention-days", "1"]).await;
    assert_eq!(
        audit_json(&s, &[]).await.len(),
        2,
        "a day's retention keeps today's"
    );
    arca(&s, &["gc", "--audit-retention-days", "0"]).await;
    assert_eq!(audit_json(&s, &[]).await, vec![] as Vec<Value>);
}

/// `arca transfer` carries the log verbatim and in order; a destination holding records is not
/// empty.
#[tokio::test]
async fn transfer_carries_the_audit_log() {
    let s = TestServer::start_with(|c| {
        c.account_id = Some(ACCOUNT.into());
        c.principals = vec![reader()];
    })
    .await;
    s.domain_with_repo("acme", "releases").await;
    let client = s.client_with(READER_KEY, &format!("{READER_KEY}-secret-0123456789"));
    assert_err(
        client.list_domains().send().await,
        403,
        "AccessDeniedException",
    );
    let d = TestServer::start().await;
    let report = s.service.transfer_into(&d.service, |_| {}).await.unwrap();
    assert_eq!(report.audit_records, 3, "{report:?}");
    let source = audit_json(&s, &[]).await;
    assert_eq!(source.len(), 3);
    assert_eq!(audit_json(&d, &[]).await, source);

    // A destination whose only content is a record (a refusal) is not empty.
    let e = TestServer::start_with(|c| c.principals = vec![reader()]).await;
    let refused = e.client_with(READER_KEY, &format!("{READER_KEY}-secret-0123456789"));
    assert_err(
        refused.list_domains().send().await,
        403,
        "AccessDeniedException",
    );
    let err = s
        .service
        .transfer_into(&e.service, |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("audit record"), "{err}");
}
