//! The tag condition keys through the real server: `aws:ResourceTag/…` on the repository acted
//! on (identity and resource policies), `aws:RequestTag/…` on CreateRepository, `aws:TagKeys` on
//! TagResource and UntagResource.

use arca_service::PrincipalSpec;
use aws_sdk_codeartifact::types::Tag;
use serde_json::{json, Value};

use crate::common::*;

const ACCOUNT: &str = "111122223333";

fn user(name: &str, key: &str, statements: Value) -> PrincipalSpec {
    PrincipalSpec {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        access_key_id: key.into(),
        secret_access_key: format!("{key}-secret-0123456789"),
        policy: Some(json!({"Version": "2012-10-17", "Statement": statements}).to_string()),
        org_id: None,
    }
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().expect("tag")
}

fn client_of(s: &TestServer, key: &str) -> aws_sdk_codeartifact::Client {
    s.client_with(key, &format!("{key}-secret-0123456789"))
}

const WEB: &str = "AKIAWEBDEV0000000001";
const CREATOR: &str = "AKIACREATOR000000001";
const TAGGER: &str = "AKIATAGGER0000000001";
const PLAIN: &str = "AKIAPLAIN00000000001";

async fn start() -> TestServer {
    TestServer::start_with(|c| {
        c.account_id = Some(ACCOUNT.into());
        c.principals = vec![
            user(
                "web",
                WEB,
                json!({"Effect": "Allow", "Action": ["codeartifact:Describe*", "codeartifact:List*"],
                       "Resource": "*",
                       "Condition": {"StringEquals": {"aws:ResourceTag/team": "web"}}}),
            ),
            user(
                "creator",
                CREATOR,
                json!({"Effect": "Allow", "Action": "codeartifact:CreateRepository",
                       "Resource": "*",
                       "Condition": {"StringEquals": {"aws:RequestTag/team": "web"}}}),
            ),
            user(
                "tagger",
                TAGGER,
                json!({"Effect": "Allow",
                       "Action": ["codeartifact:TagResource", "codeartifact:UntagResource"],
                       "Resource": "*",
                       "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                                     "Null": {"aws:TagKeys": "false"}}}),
            ),
            PrincipalSpec {
                policy: None,
                ..user("plain", PLAIN, json!([]))
            },
        ];
    })
    .await
}

async fn create_tagged(s: &TestServer, repo: &str, tags: &[(&str, &str)]) {
    let mut req = s.client.create_repository().domain("acme").repository(repo);
    for (k, v) in tags {
        req = req.tags(tag(k, v));
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("create {repo}: {}", show(&e)));
}

/// Describe and ListPackages of `repo` as `client`: `Ok` or the HTTP status and error code.
async fn reads(client: &aws_sdk_codeartifact::Client, repo: &str) -> Result<(), String> {
    let d = client
        .describe_repository()
        .domain("acme")
        .repository(repo)
        .send()
        .await;
    let l = client
        .list_packages()
        .domain("acme")
        .repository(repo)
        .send()
        .await;
    match (d, l) {
        (Ok(_), Ok(_)) => Ok(()),
        (Err(d), Err(l)) => {
            let d = assert_err(Err::<(), _>(d), 403, "AccessDeniedException");
            assert_err(Err::<(), _>(l), 403, "AccessDeniedException");
            Err(d.message)
        }
        (d, l) => panic!("describe and list disagree on {repo}: {d:?} {l:?}"),
    }
}

#[tokio::test]
async fn resource_tags_open_only_the_tagged_repositories() {
    let s = start().await;
    s.create_domain("acme").await;
    create_tagged(&s, "web", &[("team", "web")]).await;
    create_tagged(&s, "api", &[]).await;
    create_tagged(&s, "shouty", &[("TEAM", "web")]).await;
    create_tagged(&s, "upper", &[("team", "WEB")]).await;
    let web = client_of(&s, WEB);

    reads(&web, "web").await.expect("tagged team=web");
    let why = reads(&web, "api").await.expect_err("untagged");
    assert!(why.contains("codeartifact:DescribeRepository"), "{why}");
    // The tag key's name is matched case-blind, its value is not.
    reads(&web, "shouty").await.expect("tag key TEAM");
    reads(&web, "upper")
        .await
        .expect_err("value WEB is not web");
    // The domain itself is not tagged.
    assert_err(
        web.describe_domain().domain("acme").send().await,
        403,
        "AccessDeniedException",
    );

    // Tags are read at each request: untagging closes, tagging opens.
    s.client
        .untag_resource()
        .resource_arn(s.repo_arn("acme", "web"))
        .tag_keys("team")
        .send()
        .await
        .expect("untag");
    reads(&web, "web").await.expect_err("no longer tagged");
    s.client
        .tag_resource()
        .resource_arn(s.repo_arn("acme", "api"))
        .tags(tag("team", "web"))
        .send()
        .await
        .expect("tag");
    reads(&web, "api").await.expect("now tagged");
}

#[tokio::test]
async fn a_resource_policy_may_test_the_resource_tags() {
    let s = start().await;
    s.create_domain("acme").await;
    create_tagged(&s, "api", &[]).await;
    let policy = json!({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/plain")},
        "Action": ["codeartifact:DescribeRepository", "codeartifact:ListPackages"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/stage": "open"}}}});
    s.client
        .put_repository_permissions_policy()
        .domain("acme")
        .repository("api")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put policy: {}", show(&e)));
    let plain = client_of(&s, PLAIN);
    reads(&plain, "api")
        .await
        .expect_err("not tagged stage=open");
    s.client
        .tag_resource()
        .resource_arn(s.repo_arn("acme", "api"))
        .tags(tag("stage", "open"))
        .send()
        .await
        .expect("tag");
    reads(&plain, "api").await.expect("tagged stage=open");
}

#[tokio::test]
async fn request_tags_and_tag_keys_decide_create_and_tagging() {
    let s = start().await;
    s.create_domain("acme").await;
    let creator = client_of(&s, CREATOR);
    let create = |name: &'static str, tags: Vec<Tag>| {
        creator
            .create_repository()
            .domain("acme")
            .repository(name)
            .set_tags(Some(tags))
            .send()
    };
    create("web", vec![tag("team", "web"), tag("env", "dev")])
        .await
        .unwrap_or_else(|e| panic!("create with team=web: {}", show(&e)));
    for (name, tags) in [
        ("none", vec![]),
        ("api", vec![tag("team", "api")]),
        ("case", vec![tag("team", "Web")]),
    ] {
        assert_err(create(name, tags).await, 403, "AccessDeniedException");
    }

    let tagger = client_of(&s, TAGGER);
    let arn = s.repo_arn("acme", "web");
    tagger
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("team", "api"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("tag team, env: {}", show(&e)));
    assert_err(
        tagger
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("team", "x"))
            .tags(tag("owner", "x"))
            .send()
            .await,
        403,
        "AccessDeniedException",
    );
    tagger
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap_or_else(|e| panic!("untag env: {}", show(&e)));
    assert_err(
        tagger
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("owner")
            .send()
            .await,
        403,
        "AccessDeniedException",
    );
    let tags = s
        .client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list tags");
    let tags: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("team", "api")]);
}
