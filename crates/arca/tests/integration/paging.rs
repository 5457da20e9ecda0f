//! Pagination (`codeartifact-behavior.md` §1.5, `decisions.md` "Ordering and pages"): order, page
//! size, opaque tokens that never repeat, and tokens that do not verify.

use std::time::Duration;

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionSortType};

use crate::common::*;

async fn list_assets_page(
    s: &TestServer,
    version: &str,
    max: Option<i32>,
    token: Option<String>,
) -> Result<
    aws_sdk_codeartifact::operation::list_package_version_assets::ListPackageVersionAssetsOutput,
    aws_sdk_codeartifact::error::SdkError<
        aws_sdk_codeartifact::operation::list_package_version_assets::ListPackageVersionAssetsError,
    >,
> {
    s.client
        .list_package_version_assets()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version(version)
        .set_max_results(max)
        .set_next_token(token)
        .send()
        .await
}

#[tokio::test]
async fn list_package_version_assets_pages_of_one() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    for name in ["c.txt", "a.txt", "B.txt"] {
        s.publish_ok("dom", "repo", "pkg", "1.0", name, name.as_bytes(), true)
            .await;
    }
    let rev = s.revision("dom", "repo", "pkg", "1.0").await;

    let mut names = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let page = list_assets_page(&s, "1.0", Some(1), token.clone())
            .await
            .expect("page");
        assert_eq!(page.assets().len(), 1);
        // The non-aggregate members are on every page.
        assert_eq!(page.version(), Some("1.0"));
        assert_eq!(page.package(), Some("pkg"));
        assert_eq!(page.namespace(), Some(NS));
        assert_eq!(page.version_revision(), Some(rev.as_str()));
        names.push(page.assets()[0].name().to_string());
        match page.next_token() {
            Some(t) => {
                assert!(!tokens.iter().any(|x| x == t), "token {t} repeated");
                assert_ne!(Some(t.to_string()), token, "the given token came back");
                tokens.push(t.to_string());
                token = Some(t.to_string());
            }
            None => break,
        }
    }
    // Byte order: uppercase before lowercase.
    assert_eq!(names, ["B.txt", "a.txt", "c.txt"]);
    assert_eq!(tokens.len(), 2);

    // The SDK's paginator walks the same pages.
    let all: Vec<_> = s
        .client
        .list_package_version_assets()
        .domain("dom")
        .repository("repo")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("pkg")
        .package_version("1.0")
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginator");
    let names: Vec<_> = all.iter().map(|a| a.name().to_string()).collect();
    assert_eq!(names, ["B.txt", "a.txt", "c.txt"]);
}

#[tokio::test]
async fn default_page_size_is_50() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    for i in 0..52 {
        s.publish_ok("dom", "repo", "pkg", "1.0", &format!("f{i:03}"), b"x", true)
            .await;
    }
    let first = list_assets_page(&s, "1.0", None, None)
        .await
        .expect("page 1");
    assert_eq!(first.assets().len(), 50);
    assert_eq!(first.assets()[49].name(), "f049");
    let second = list_assets_page(&s, "1.0", None, first.next_token().map(str::to_string))
        .await
        .expect("page 2");
    let names: Vec<_> = second.assets().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["f050", "f051"]);
    assert_eq!(second.next_token(), None);
    // A page exactly as large as what is left has no next token.
    let exact = list_assets_page(&s, "1.0", Some(52), None)
        .await
        .expect("all");
    assert_eq!(exact.assets().len(), 52);
    assert_eq!(exact.next_token(), None);
}

#[tokio::test]
async fn tampered_and_foreign_tokens_are_validation_errors() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    for v in ["1.0", "2.0"] {
        for name in ["a", "b", "c"] {
            s.publish_ok("dom", "repo", "pkg", v, name, name.as_bytes(), true)
                .await;
        }
    }
    let page = list_assets_page(&s, "1.0", Some(1), None)
        .await
        .expect("page");
    let token = page.next_token().expect("token").to_string();
    // Control: the token works.
    let next = list_assets_page(&s, "1.0", Some(1), Some(token.clone()))
        .await
        .expect("next");
    assert_eq!(next.assets()[0].name(), "b");

    // Tampered: one character changed, truncated, extended, garbage.
    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.len() / 3;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let flipped: String = chars.into_iter().collect();
    for bad in [
        flipped,
        token[..token.len() - 2].to_string(),
        format!("{token}AA"),
        "not-a-token".to_string(),
        "eyJsaXN0UGFja2FnZVZlcnNpb25zVG9rZW4iOiIwLjIuMiJ9".to_string(),
    ] {
        let e = assert_validation(list_assets_page(&s, "1.0", Some(1), Some(bad.clone())).await);
        assert!(!e.message.is_empty(), "{bad}");
    }

    // Foreign: a token for another version of the same package.
    assert_validation(list_assets_page(&s, "2.0", Some(1), Some(token.clone())).await);

    // Foreign: a token of another operation.
    for d in ["d1", "d2", "d3"] {
        s.create_domain(d).await;
    }
    let domains = s
        .client
        .list_domains()
        .max_results(1)
        .send()
        .await
        .expect("domains");
    let domain_token = domains.next_token().expect("domain token").to_string();
    assert_validation(list_assets_page(&s, "1.0", Some(1), Some(domain_token)).await);
    assert_validation(
        s.client
            .list_domains()
            .max_results(1)
            .next_token(&token)
            .send()
            .await,
    );

    // Foreign: a token of another server (another secret) for the same request.
    let other = TestServer::start().await;
    other.domain_with_repo("dom", "repo").await;
    for name in ["a", "b", "c"] {
        other
            .publish_ok("dom", "repo", "pkg", "1.0", name, name.as_bytes(), true)
            .await;
    }
    assert_validation(list_assets_page(&other, "1.0", Some(1), Some(token)).await);
}

#[tokio::test]
async fn list_package_versions_pages() {
    let s = TestServer::start().await;
    s.domain_with_repo("dom", "repo").await;
    let versions = ["3.0", "1.0", "5.0", "2.0", "4.0"];
    for v in versions {
        s.publish_ok("dom", "repo", "pkg", v, "a", v.as_bytes(), false)
            .await;
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let walk = |sort: Option<PackageVersionSortType>| {
        let s = &s;
        async move {
            let mut seen = Vec::new();
            let mut token: Option<String> = None;
            let mut first_token = None;
            for _ in 0..10 {
                let p = s
                    .client
                    .list_package_versions()
                    .domain("dom")
                    .repository("repo")
                    .format(PackageFormat::Generic)
                    .namespace(NS)
                    .package("pkg")
                    .max_results(2)
                    .set_sort_by(sort.clone())
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .expect("page");
                assert!(p.versions().len() <= 2);
                seen.extend(p.versions().iter().map(|v| v.version().to_string()));
                match p.next_token() {
                    Some(t) => {
                        assert_ne!(Some(t.to_string()), token);
                        first_token.get_or_insert_with(|| t.to_string());
                        token = Some(t.to_string());
                    }
                    None => break,
                }
            }
            (seen, first_token.expect("more than one page"))
        }
    };
    let (by_version, version_token) = walk(None).await;
    assert_eq!(by_version, ["1.0", "2.0", "3.0", "4.0", "5.0"]);
    let (by_time, time_token) = walk(Some(PackageVersionSortType::PublishedTime)).await;

    // A token is bound to its ordering.
    assert_validation(
        s.client
            .list_package_versions()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .max_results(2)
            .next_token(&time_token)
            .send()
            .await,
    );
    assert_validation(
        s.client
            .list_package_versions()
            .domain("dom")
            .repository("repo")
            .format(PackageFormat::Generic)
            .namespace(NS)
            .package("pkg")
            .max_results(2)
            .sort_by(PackageVersionSortType::PublishedTime)
            .next_token(&version_token)
            .send()
            .await,
    );

    // Newest first, each version exactly once across the pages (checked last so that the token
    // checks above run even when this fails).
    assert_eq!(by_time, ["4.0", "2.0", "5.0", "1.0", "3.0"]);
}
