//! CreateRepository, DescribeRepository, UpdateRepository, ListRepositories,
//! ListRepositoriesInDomain, DeleteRepository.

use aws_sdk_codeartifact::types::{Tag, UpstreamRepository};

use crate::common::*;

fn upstream(name: &str) -> UpstreamRepository {
    UpstreamRepository::builder()
        .repository_name(name)
        .build()
        .expect("upstream")
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().expect("tag")
}

fn upstream_names(r: &aws_sdk_codeartifact::types::RepositoryDescription) -> Vec<String> {
    r.upstreams()
        .iter()
        .filter_map(|u| u.repository_name().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn create_with_description_upstreams_and_tags() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.create_repo("dom", "upstream-a").await;
    s.create_repo("dom", "upstream-b").await;

    let out = s
        .client
        .create_repository()
        .domain("dom")
        .repository("Main.Repo_1")
        .description("The main repository — ünïcode ok")
        .upstreams(upstream("upstream-b"))
        .upstreams(upstream("upstream-a"))
        .tags(tag("team", "platform"))
        .tags(tag("cost-center", "42"))
        .send()
        .await
        .expect("create");
    let r = out.repository().expect("repository");
    assert_eq!(r.name(), Some("Main.Repo_1"));
    assert_eq!(r.domain_name(), Some("dom"));
    assert_eq!(r.domain_owner(), Some(s.account()));
    assert_eq!(r.administrator_account(), Some(s.account()));
    assert_eq!(r.arn(), Some(s.repo_arn("dom", "Main.Repo_1").as_str()));
    assert_eq!(
        r.arn(),
        Some(
            format!(
                "arn:aws:codeartifact:us-east-1:{}:repository/dom/Main.Repo_1",
                s.account()
            )
            .as_str()
        )
    );
    assert_eq!(r.description(), Some("The main repository — ünïcode ok"));
    // Upstream order is the search order: kept as given.
    assert_eq!(upstream_names(r), ["upstream-b", "upstream-a"]);
    assert!(r.external_connections().is_empty());
    assert_recent(r.created_time());

    let d = s
        .client
        .describe_repository()
        .domain("dom")
        .repository("Main.Repo_1")
        .send()
        .await
        .expect("describe");
    let d = d.repository().expect("repository");
    assert_eq!(d.name(), Some("Main.Repo_1"));
    assert_eq!(d.description(), r.description());
    assert_eq!(upstream_names(d), ["upstream-b", "upstream-a"]);
    assert_eq!(d.created_time(), r.created_time());

    let tags = s
        .client
        .list_tags_for_resource()
        .resource_arn(s.repo_arn("dom", "Main.Repo_1"))
        .send()
        .await
        .expect("tags");
    let mut tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("cost-center".to_string(), "42".to_string()),
            ("team".to_string(), "platform".to_string())
        ]
    );

    // Repository names are case-sensitive: another spelling is another (missing) repository.
    assert_not_found(
        s.client
            .describe_repository()
            .domain("dom")
            .repository("main.repo_1")
            .send()
            .await,
        "repository",
    );

    let dom = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(dom.domain().map(|d| d.repository_count()), Some(3));
}

#[tokio::test]
async fn create_twice_is_conflict() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let e = assert_conflict(
        s.client
            .create_repository()
            .domain("dom")
            .repository("repo")
            .send()
            .await,
        "repository",
    );
    assert_eq!(e.resource_id.as_deref(), Some("repo"));
}

#[tokio::test]
async fn create_in_missing_domain_is_not_found() {
    let s = TestServer::start().await;
    assert_not_found(
        s.client
            .create_repository()
            .domain("ghost")
            .repository("repo")
            .send()
            .await,
        "domain",
    );
}

#[tokio::test]
async fn missing_upstream_is_not_found() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    let e = assert_not_found(
        s.client
            .create_repository()
            .domain("dom")
            .repository("repo")
            .upstreams(upstream("does-not-exist"))
            .send()
            .await,
        "repository",
    );
    assert_eq!(e.resource_id.as_deref(), Some("does-not-exist"));
    // Nothing was created.
    assert_not_found(
        s.client
            .describe_repository()
            .domain("dom")
            .repository("repo")
            .send()
            .await,
        "repository",
    );
}

#[tokio::test]
async fn self_upstream_is_validation_error() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    assert_validation(
        s.client
            .update_repository()
            .domain("dom")
            .repository("repo")
            .upstreams(upstream("repo"))
            .send()
            .await,
    );
    // At creation, the repository naming itself is either a self-reference or a missing
    // repository; both are errors and nothing is created.
    let e = err(s
        .client
        .create_repository()
        .domain("dom")
        .repository("selfish")
        .upstreams(upstream("selfish"))
        .send()
        .await);
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "ValidationException"),
        "{e:?}"
    );
    assert_not_found(
        s.client
            .describe_repository()
            .domain("dom")
            .repository("selfish")
            .send()
            .await,
        "repository",
    );
}

#[tokio::test]
async fn update_description_and_upstreams() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    for r in ["main", "u1", "u2"] {
        s.create_repo("dom", r).await;
    }
    let out = s
        .client
        .update_repository()
        .domain("dom")
        .repository("main")
        .description("first description")
        .send()
        .await
        .expect("update description");
    let r = out.repository().expect("repository");
    assert_eq!(r.description(), Some("first description"));
    assert!(r.upstreams().is_empty());

    let out = s
        .client
        .update_repository()
        .domain("dom")
        .repository("main")
        .upstreams(upstream("u2"))
        .upstreams(upstream("u1"))
        .send()
        .await
        .expect("update upstreams");
    let r = out.repository().expect("repository");
    assert_eq!(upstream_names(r), ["u2", "u1"]);
    // Not given: the description is kept.
    assert_eq!(r.description(), Some("first description"));

    let d = s
        .client
        .describe_repository()
        .domain("dom")
        .repository("main")
        .send()
        .await
        .expect("describe");
    let d = d.repository().expect("repository");
    assert_eq!(upstream_names(d), ["u2", "u1"]);
    assert_eq!(d.description(), Some("first description"));

    // An empty list clears the upstreams.
    let out = s
        .client
        .update_repository()
        .domain("dom")
        .repository("main")
        .set_upstreams(Some(vec![]))
        .send()
        .await
        .expect("clear upstreams");
    assert!(out.repository().expect("repository").upstreams().is_empty());

    // A missing upstream is refused and changes nothing.
    assert_not_found(
        s.client
            .update_repository()
            .domain("dom")
            .repository("main")
            .upstreams(upstream("nope"))
            .send()
            .await,
        "repository",
    );
    // Updating a missing repository.
    assert_not_found(
        s.client
            .update_repository()
            .domain("dom")
            .repository("missing")
            .description("x")
            .send()
            .await,
        "repository",
    );
}

fn names_of(repos: &[aws_sdk_codeartifact::types::RepositorySummary]) -> Vec<String> {
    repos
        .iter()
        .filter_map(|r| r.name().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn list_account_wide_and_in_domain() {
    let s = TestServer::start().await;
    s.create_domain("d1").await;
    s.create_domain("d2").await;
    for r in ["beta", "alpha", "gamma-1"] {
        s.create_repo("d1", r).await;
    }
    for r in ["alpha-2", "delta"] {
        s.create_repo("d2", r).await;
    }
    s.client
        .update_repository()
        .domain("d1")
        .repository("beta")
        .description("described")
        .send()
        .await
        .expect("update");

    let all = s.client.list_repositories().send().await.expect("list");
    assert_eq!(
        names_of(all.repositories()),
        ["alpha", "alpha-2", "beta", "delta", "gamma-1"]
    );
    assert_eq!(all.next_token(), None);
    let beta = all
        .repositories()
        .iter()
        .find(|r| r.name() == Some("beta"))
        .expect("beta");
    assert_eq!(beta.domain_name(), Some("d1"));
    assert_eq!(beta.domain_owner(), Some(s.account()));
    assert_eq!(beta.administrator_account(), Some(s.account()));
    assert_eq!(beta.arn(), Some(s.repo_arn("d1", "beta").as_str()));
    assert_eq!(beta.description(), Some("described"));
    assert_recent(beta.created_time());

    let pre = s
        .client
        .list_repositories()
        .repository_prefix("alpha")
        .send()
        .await
        .expect("prefix");
    assert_eq!(names_of(pre.repositories()), ["alpha", "alpha-2"]);

    let in_d1 = s
        .client
        .list_repositories_in_domain()
        .domain("d1")
        .send()
        .await
        .expect("in domain");
    assert_eq!(names_of(in_d1.repositories()), ["alpha", "beta", "gamma-1"]);

    let in_d1_pre = s
        .client
        .list_repositories_in_domain()
        .domain("d1")
        .repository_prefix("ga")
        .send()
        .await
        .expect("in domain, prefix");
    assert_eq!(names_of(in_d1_pre.repositories()), ["gamma-1"]);

    // Pages of one.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let page = s
            .client
            .list_repositories_in_domain()
            .domain("d1")
            .max_results(1)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("page");
        assert_eq!(page.repositories().len(), 1);
        seen.extend(names_of(page.repositories()));
        match page.next_token() {
            Some(t) => {
                assert_ne!(Some(t), token.as_deref());
                token = Some(t.to_string());
            }
            None => break,
        }
    }
    assert_eq!(seen, ["alpha", "beta", "gamma-1"]);

    // Account-wide pages of two.
    let p1 = s
        .client
        .list_repositories()
        .max_results(2)
        .send()
        .await
        .expect("page 1");
    assert_eq!(names_of(p1.repositories()), ["alpha", "alpha-2"]);
    let p2 = s
        .client
        .list_repositories()
        .max_results(2)
        .next_token(p1.next_token().expect("token"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(names_of(p2.repositories()), ["beta", "delta"]);
    let p3 = s
        .client
        .list_repositories()
        .max_results(2)
        .next_token(p2.next_token().expect("token"))
        .send()
        .await
        .expect("page 3");
    assert_eq!(names_of(p3.repositories()), ["gamma-1"]);
    assert_eq!(p3.next_token(), None);

    assert_not_found(
        s.client
            .list_repositories_in_domain()
            .domain("nope")
            .send()
            .await,
        "domain",
    );
}

#[tokio::test]
async fn delete_repository() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "doomed").await;
    s.publish_ok("dom", "doomed", "pkg", "1.0", "a.txt", b"hello", false)
        .await;
    let out = s
        .client
        .delete_repository()
        .domain("dom")
        .repository("doomed")
        .send()
        .await
        .expect("delete");
    let r = out.repository().expect("repository");
    assert_eq!(r.name(), Some("doomed"));
    assert_eq!(r.arn(), Some(s.repo_arn("dom", "doomed").as_str()));

    assert_not_found(
        s.client
            .describe_repository()
            .domain("dom")
            .repository("doomed")
            .send()
            .await,
        "repository",
    );
    assert_not_found(
        s.client
            .delete_repository()
            .domain("dom")
            .repository("doomed")
            .send()
            .await,
        "repository",
    );
    let d = s
        .client
        .describe_domain()
        .domain("dom")
        .send()
        .await
        .expect("domain");
    assert_eq!(d.domain().map(|d| d.repository_count()), Some(0));
    // Its packages went with it.
    s.create_repo("dom", "doomed").await;
    let l = s
        .client
        .list_packages()
        .domain("dom")
        .repository("doomed")
        .send()
        .await
        .expect("list packages");
    assert!(l.packages().is_empty(), "{:?}", l.packages());
}

#[tokio::test]
async fn deleting_an_upstream_is_conflict() {
    let s = TestServer::start().await;
    s.create_domain("dom").await;
    s.create_repo("dom", "base").await;
    s.client
        .create_repository()
        .domain("dom")
        .repository("consumer")
        .upstreams(upstream("base"))
        .send()
        .await
        .expect("create consumer");
    let e = assert_conflict(
        s.client
            .delete_repository()
            .domain("dom")
            .repository("base")
            .send()
            .await,
        "repository",
    );
    assert!(e.message.contains("consumer"), "{}", e.message);
    s.client
        .describe_repository()
        .domain("dom")
        .repository("base")
        .send()
        .await
        .expect("still there");

    s.client
        .update_repository()
        .domain("dom")
        .repository("consumer")
        .set_upstreams(Some(vec![]))
        .send()
        .await
        .expect("remove upstream");
    s.client
        .delete_repository()
        .domain("dom")
        .repository("base")
        .send()
        .await
        .expect("delete now succeeds");
}
