//! TagResource, UntagResource, ListTagsForResource on domain and repository ARNs.

use std::collections::BTreeMap;

use aws_sdk_codeartifact::types::Tag;

use crate::common::*;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().expect("tag")
}

async fn tags_of(s: &TestServer, arn: &str) -> BTreeMap<String, String> {
    let out = s
        .client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list tags of {arn}: {}", show(&e)));
    out.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn m(items: &[(&str, &str)]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn tag_untag_cycle(s: &TestServer, arn: &str, initial: &[(&str, &str)]) {
    assert_eq!(tags_of(s, arn).await, m(initial));
    s.client
        .tag_resource()
        .resource_arn(arn)
        .tags(tag("b", "2"))
        .tags(tag("a", "3"))
        .tags(tag("empty", ""))
        .send()
        .await
        .expect("tag");
    let mut expected = m(initial);
    expected.extend(m(&[("a", "3"), ("b", "2"), ("empty", "")]));
    assert_eq!(tags_of(s, arn).await, expected);

    s.client
        .untag_resource()
        .resource_arn(arn)
        .tag_keys("a")
        .tag_keys("not-there")
        .send()
        .await
        .expect("untag");
    expected.remove("a");
    assert_eq!(tags_of(s, arn).await, expected);
}

#[tokio::test]
async fn domain_tags() {
    let s = TestServer::start().await;
    s.client
        .create_domain()
        .domain("tagged")
        .tags(tag("a", "1"))
        .tags(tag("owner", "team x"))
        .send()
        .await
        .expect("create");
    tag_untag_cycle(
        &s,
        &s.domain_arn("tagged"),
        &[("a", "1"), ("owner", "team x")],
    )
    .await;

    // A domain created without tags has none.
    s.create_domain("plain").await;
    assert!(tags_of(&s, &s.domain_arn("plain")).await.is_empty());
}

#[tokio::test]
async fn repository_tags() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.client
        .create_repository()
        .domain("dom")
        .repository("repo")
        .tags(tag("a", "1"))
        .send()
        .await
        .expect("create");
    let arn = s.repo_arn("dom", "repo");
    tag_untag_cycle(&s, &arn, &[("a", "1")]).await;
    // Domain and repository tags are separate.
    assert!(tags_of(&s, &s.domain_arn("dom")).await.is_empty());
}

#[tokio::test]
async fn tags_go_with_a_deleted_resource() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.client
        .create_repository()
        .domain("dom")
        .repository("repo")
        .tags(tag("a", "1"))
        .send()
        .await
        .expect("create");
    s.client
        .delete_repository()
        .domain("dom")
        .repository("repo")
        .send()
        .await
        .expect("delete");
    assert_not_found(
        s.client
            .list_tags_for_resource()
            .resource_arn(s.repo_arn("dom", "repo"))
            .send()
            .await,
        "repository",
    );
    // A new repository of the same name starts without tags.
    s.create_repo("dom", "repo").await;
    assert!(tags_of(&s, &s.repo_arn("dom", "repo")).await.is_empty());
}

#[tokio::test]
async fn unknown_arn_is_not_found() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let other = if s.account() == "111122223333" {
        "444455556666"
    } else {
        "111122223333"
    };
    for arn in [
        s.domain_arn("missing"),
        s.repo_arn("dom", "missing"),
        s.repo_arn("missing", "repo"),
        format!("arn:aws:codeartifact:us-east-1:{other}:domain/dom"),
        format!("arn:aws:codeartifact:eu-west-1:{}:domain/dom", s.account()),
    ] {
        let e = err(s
            .client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await);
        assert_eq!(
            (e.status, e.code.as_str()),
            (404, "ResourceNotFoundException"),
            "{arn}"
        );
        let e = err(s
            .client
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("k", "v"))
            .send()
            .await);
        assert_eq!(
            (e.status, e.code.as_str()),
            (404, "ResourceNotFoundException"),
            "{arn}"
        );
        let e = err(s
            .client
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("k")
            .send()
            .await);
        assert_eq!(
            (e.status, e.code.as_str()),
            (404, "ResourceNotFoundException"),
            "{arn}"
        );
    }
}
