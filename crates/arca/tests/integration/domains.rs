//! CreateDomain, DescribeDomain, ListDomains, DeleteDomain.

use aws_sdk_codeartifact::types::DomainStatus;

use crate::common::*;

#[tokio::test]
async fn create_describe_delete() {
    let s = TestServer::start().await;
    let created = s
        .client
        .create_domain()
        .domain("alpha")
        .send()
        .await
        .expect("create");
    let d = created.domain().expect("domain");
    assert_eq!(d.name(), Some("alpha"));
    assert_eq!(d.owner(), Some(s.account()));
    assert_eq!(d.arn(), Some(s.domain_arn("alpha").as_str()));
    assert_eq!(
        d.arn(),
        Some(
            format!(
                "arn:aws:codeartifact:us-east-1:{}:domain/alpha",
                s.account()
            )
            .as_str()
        )
    );
    assert_eq!(d.status(), Some(&DomainStatus::Active));
    assert_recent(d.created_time());
    assert_eq!(d.repository_count(), 0);
    assert_eq!(d.asset_size_bytes(), 0);
    assert_eq!(s.account().len(), 12);
    assert!(s.account().bytes().all(|b| b.is_ascii_digit()));

    let described = s
        .client
        .describe_domain()
        .domain("alpha")
        .send()
        .await
        .expect("describe");
    let dd = described.domain().expect("domain");
    assert_eq!(dd.name(), Some("alpha"));
    assert_eq!(dd.arn(), d.arn());
    assert_eq!(dd.created_time(), d.created_time());
    assert_eq!(dd.status(), Some(&DomainStatus::Active));

    // domainOwner given explicitly (the caller's own account) works too.
    let own = s
        .client
        .describe_domain()
        .domain("alpha")
        .domain_owner(s.account())
        .send()
        .await
        .expect("describe with own domainOwner");
    assert_eq!(own.domain().and_then(|d| d.name()), Some("alpha"));

    let deleted = s
        .client
        .delete_domain()
        .domain("alpha")
        .send()
        .await
        .expect("delete");
    let del = deleted.domain().expect("domain");
    assert_eq!(del.name(), Some("alpha"));
    assert_eq!(del.status(), Some(&DomainStatus::Deleted));

    assert_not_found(
        s.client.describe_domain().domain("alpha").send().await,
        "domain",
    );
    // DeleteDomain does not model ResourceNotFoundException (its errors are AD CF IS TH VA), so the
    // SDK surfaces it as an unmodeled error: only status and code are checked. Deleting a missing
    // domain is a 404 on purpose, like every other operation naming one (README "Decisions").
    assert_err(
        s.client.delete_domain().domain("alpha").send().await,
        404,
        "ResourceNotFoundException",
    );
    let list = s.client.list_domains().send().await.expect("list");
    assert!(list.domains().is_empty(), "{:?}", list.domains());

    // The name is free again.
    s.create_domain("alpha").await;
}

#[tokio::test]
async fn create_twice_is_conflict() {
    let s = TestServer::start().await;
    s.create_domain("twice").await;
    let e = assert_conflict(
        s.client.create_domain().domain("twice").send().await,
        "domain",
    );
    assert_eq!(e.resource_id.as_deref(), Some("twice"));
}

#[tokio::test]
async fn describe_missing_is_not_found() {
    let s = TestServer::start().await;
    let e = assert_not_found(
        s.client.describe_domain().domain("nope").send().await,
        "domain",
    );
    assert_eq!(e.resource_id.as_deref(), Some("nope"));
    assert!(e.message.contains("nope"), "{}", e.message);
}

#[tokio::test]
async fn list_is_ordered_by_name_and_paged() {
    let s = TestServer::start().await;
    for d in ["delta", "alpha", "echo", "charlie", "bravo"] {
        s.create_domain(d).await;
    }
    let all = s.client.list_domains().send().await.expect("list");
    let names: Vec<_> = all.domains().iter().filter_map(|d| d.name()).collect();
    assert_eq!(names, ["alpha", "bravo", "charlie", "delta", "echo"]);
    assert_eq!(all.next_token(), None);
    let first = &all.domains()[0];
    assert_eq!(first.owner(), Some(s.account()));
    assert_eq!(first.arn(), Some(s.domain_arn("alpha").as_str()));
    assert_eq!(first.status(), Some(&DomainStatus::Active));
    assert_recent(first.created_time());

    let mut pages = Vec::new();
    let mut tokens = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s
            .client
            .list_domains()
            .max_results(2)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("page");
        pages.push(
            page.domains()
                .iter()
                .filter_map(|d| d.name().map(str::to_string))
                .collect::<Vec<_>>(),
        );
        match page.next_token() {
            Some(t) => {
                assert_ne!(Some(t), token.as_deref(), "the same token came back");
                tokens.push(t.to_string());
                token = Some(t.to_string());
            }
            None => break,
        }
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(
        pages,
        vec![
            vec!["alpha", "bravo"],
            vec!["charlie", "delta"],
            vec!["echo"]
        ]
    );
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn delete_with_repositories_is_conflict() {
    let s = TestServer::start().await;
    s.domain_with_repo("busy", "repo1").await;
    let e = assert_conflict(
        s.client.delete_domain().domain("busy").send().await,
        "domain",
    );
    assert!(e.message.contains("busy"), "{}", e.message);
    // Still there.
    s.client
        .describe_domain()
        .domain("busy")
        .send()
        .await
        .expect("still exists");
    s.client
        .delete_repository()
        .domain("busy")
        .repository("repo1")
        .send()
        .await
        .expect("delete repo");
    s.client
        .delete_domain()
        .domain("busy")
        .send()
        .await
        .expect("delete now succeeds");
}

#[tokio::test]
async fn repository_count_and_deduplicated_asset_size() {
    let s = TestServer::start().await;
    s.create_domain("stats").await;
    s.create_repo("stats", "one").await;
    s.create_repo("stats", "two").await;
    s.create_repo("stats", "three").await;

    let x = pseudo_random(1000, 1);
    let y = pseudo_random(234, 2);
    s.publish_ok("stats", "one", "pkg", "1.0", "x.bin", &x, false)
        .await;
    // The same bytes in another repository, package and asset name: stored once per domain.
    s.publish_ok("stats", "two", "other", "2.0", "copy-of-x.bin", &x, false)
        .await;
    s.publish_ok("stats", "one", "pkg", "1.1", "y.bin", &y, false)
        .await;

    let d = s
        .client
        .describe_domain()
        .domain("stats")
        .send()
        .await
        .expect("describe");
    let d = d.domain().expect("domain");
    assert_eq!(d.repository_count(), 3);
    assert_eq!(d.asset_size_bytes(), 1234);

    // Another domain does not share blobs (or counts) with the first.
    s.domain_with_repo("stats2", "r2").await;
    s.publish_ok("stats2", "r2", "pkg", "1.0", "x.bin", &x, false)
        .await;
    let d2 = s
        .client
        .describe_domain()
        .domain("stats2")
        .send()
        .await
        .expect("describe");
    assert_eq!(d2.domain().map(|d| d.asset_size_bytes()), Some(1000));
    assert_eq!(d2.domain().map(|d| d.repository_count()), Some(1));
}

#[tokio::test]
async fn another_accounts_domain_is_not_found() {
    let s = TestServer::start().await;
    s.domain_with_repo("mine", "repo").await;
    let other = if s.account() == "111122223333" {
        "444455556666"
    } else {
        "111122223333"
    };
    assert_not_found(
        s.client
            .describe_domain()
            .domain("mine")
            .domain_owner(other)
            .send()
            .await,
        "domain",
    );
    assert_not_found(
        s.client
            .describe_repository()
            .domain("mine")
            .domain_owner(other)
            .repository("repo")
            .send()
            .await,
        "domain",
    );
    assert_not_found(
        s.client
            .create_repository()
            .domain("mine")
            .domain_owner(other)
            .repository("new-repo")
            .send()
            .await,
        "domain",
    );
    assert_err(
        s.client
            .delete_domain()
            .domain("mine")
            .domain_owner(other)
            .send()
            .await,
        404,
        "ResourceNotFoundException",
    );
    // Nothing was created or deleted.
    let d = s
        .client
        .describe_domain()
        .domain("mine")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.domain().map(|d| d.repository_count()), Some(1));
}
