//! Package groups through the SDK: the ten operations and their errors, inheritance, weak matches,
//! and the restrictions on the publish paths (API publish, copy, npm).

use aws_sdk_codeartifact::types::{
    PackageFormat, PackageGroupAllowedRepository, PackageGroupAllowedRepositoryUpdateType as Upd,
    PackageGroupAssociationType, PackageGroupDescription,
    PackageGroupOriginRestrictionMode as Mode, PackageGroupOriginRestrictionType as Type, Tag,
};
use serde_json::json;

use crate::common::npm::*;
use crate::common::*;

const D: &str = "acme";

async fn create(s: &TestServer, pattern: &str) -> PackageGroupDescription {
    s.client
        .create_package_group()
        .domain(D)
        .package_group(pattern)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {pattern}: {}", show(&e)))
        .package_group
        .unwrap()
}

async fn describe(s: &TestServer, pattern: &str) -> PackageGroupDescription {
    s.client
        .describe_package_group()
        .domain(D)
        .package_group(pattern)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe {pattern}: {}", show(&e)))
        .package_group
        .unwrap()
}

fn allowed(repo: &str, t: Type) -> PackageGroupAllowedRepository {
    PackageGroupAllowedRepository::builder()
        .repository_name(repo)
        .origin_restriction_type(t)
        .build()
}

async fn set_mode(s: &TestServer, pattern: &str, t: Type, mode: Mode) {
    s.client
        .update_package_group_origin_configuration()
        .domain(D)
        .package_group(pattern)
        .restrictions(t, mode)
        .send()
        .await
        .unwrap_or_else(|e| panic!("set {pattern}: {}", show(&e)));
}

/// (mode, effectiveMode, inheritedFrom pattern, repositoriesCount) of one restriction type.
fn restriction(g: &PackageGroupDescription, t: Type) -> (Mode, Mode, Option<String>, i64) {
    let r = &g.origin_configuration().unwrap().restrictions().unwrap()[&t];
    (
        r.mode().unwrap().clone(),
        r.effective_mode().unwrap().clone(),
        r.inherited_from()
            .and_then(|f| f.pattern())
            .map(str::to_string),
        r.repositories_count().unwrap(),
    )
}

fn patterns(groups: &[aws_sdk_codeartifact::types::PackageGroupSummary]) -> Vec<&str> {
    groups.iter().map(|g| g.pattern().unwrap()).collect()
}

fn parent(g: &PackageGroupDescription) -> Option<&str> {
    g.parent().and_then(|p| p.pattern())
}

async fn publish_generic(s: &TestServer, repo: &str, package: &str) -> Result<(), ErrInfo> {
    match s
        .publish(D, repo, package, "1.0", "a.txt", b"abc", false)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(err::<(), _>(Err(e))),
    }
}

#[tokio::test]
async fn root_group_and_the_operations() {
    let s = TestServer::start().await;
    s.domain_with_repo(D, "rel").await;
    // The root exists with the domain, allows everything, and has no parent.
    let root = describe(&s, "/*").await;
    assert_eq!(root.pattern(), Some("/*"));
    assert_eq!(
        root.arn(),
        Some(
            format!(
                "arn:aws:codeartifact:us-east-1:{}:package-group/{D}/%2a",
                s.account()
            )
            .as_str()
        )
    );
    assert_eq!(parent(&root), None);
    assert_eq!(
        restriction(&root, Type::Publish),
        (Mode::Allow, Mode::Allow, None, 0)
    );

    let g = s
        .client
        .create_package_group()
        .domain(D)
        .package_group("/npm/acme/*")
        .contact_info("web@acme")
        .description("the web team's scope")
        .tags(Tag::builder().key("team").value("web").build().unwrap())
        .send()
        .await
        .unwrap()
        .package_group
        .unwrap();
    assert_eq!(g.domain_name(), Some(D));
    assert_eq!(g.domain_owner(), Some(s.account()));
    assert_eq!(g.contact_info(), Some("web@acme"));
    assert_eq!(parent(&g), Some("/*"));
    for t in [
        Type::Publish,
        Type::ExternalUpstream,
        Type::InternalUpstream,
    ] {
        assert_eq!(
            restriction(&g, t),
            (Mode::Inherit, Mode::Allow, Some("/*".into()), 0),
            "a new group inherits"
        );
    }
    // Tags on the group's ARN.
    let arn = g.arn().unwrap().to_string();
    let tags = s
        .client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    s.client
        .tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("tier").value("1").build().unwrap())
        .send()
        .await
        .unwrap();
    s.client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = s
        .client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), "tier");

    // Errors.
    let e = assert_err(
        s.client
            .create_package_group()
            .domain(D)
            .package_group("/npm/acme/*")
            .send()
            .await,
        409,
        "ConflictException",
    );
    assert!(e.message.contains("/npm/acme/*"), "{e:?}");
    let e = assert_err(
        s.client
            .create_package_group()
            .domain(D)
            .package_group("/npm/acme/kit")
            .send()
            .await,
        400,
        "ValidationException",
    );
    assert!(e.message.contains("must end with '$'"), "{e:?}");
    assert_err(
        s.client
            .create_package_group()
            .domain(D)
            .package_group("/maven//log4j$")
            .send()
            .await,
        400,
        "ValidationException",
    );
    assert_err(
        s.client
            .create_package_group()
            .domain("nope")
            .package_group("/npm/*")
            .send()
            .await,
        404,
        "ResourceNotFoundException",
    );
    assert_err(
        s.client
            .describe_package_group()
            .domain(D)
            .package_group("/npm/other/*")
            .send()
            .await,
        404,
        "ResourceNotFoundException",
    );
    let e = assert_err(
        s.client
            .delete_package_group()
            .domain(D)
            .package_group("/*")
            .send()
            .await,
        400,
        "ValidationException",
    );
    assert!(e.message.contains("root"), "{e:?}");
    assert_err(
        s.client
            .update_package_group_origin_configuration()
            .domain(D)
            .package_group("/*")
            .restrictions(Type::Publish, Mode::Inherit)
            .send()
            .await,
        400,
        "ValidationException",
    );
    assert_err(
        s.client
            .update_package_group_origin_configuration()
            .domain(D)
            .package_group("/npm/acme/*")
            .add_allowed_repositories(allowed("missing", Type::Publish))
            .send()
            .await,
        404,
        "ResourceNotFoundException",
    );

    // Update: given fields change, others stay.
    let u = s
        .client
        .update_package_group()
        .domain(D)
        .package_group("/npm/acme/*")
        .description("new")
        .send()
        .await
        .unwrap()
        .package_group
        .unwrap();
    assert_eq!(
        (u.contact_info(), u.description()),
        (Some("web@acme"), Some("new"))
    );

    // Hierarchy, listing, paging.
    create(&s, "/npm/*").await;
    create(&s, "/npm/acme/kit~").await;
    create(&s, "/maven/com.acme~").await;
    assert_eq!(parent(&describe(&s, "/npm/acme/*").await), Some("/npm/*"));
    assert_eq!(
        parent(&describe(&s, "/npm/acme/kit~").await),
        Some("/npm/acme/*")
    );
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let p = s
            .client
            .list_package_groups()
            .domain(D)
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(
            p.package_groups()
                .iter()
                .map(|g| g.pattern().unwrap().to_string()),
        );
        token = p.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            "/*",
            "/maven/com.acme~",
            "/npm/*",
            "/npm/acme/*",
            "/npm/acme/kit~"
        ]
    );
    let p = s
        .client
        .list_package_groups()
        .domain(D)
        .prefix("/npm/acme")
        .send()
        .await
        .unwrap();
    assert_eq!(
        patterns(p.package_groups()),
        ["/npm/acme/*", "/npm/acme/kit~"]
    );
    let subs = s
        .client
        .list_sub_package_groups()
        .domain(D)
        .package_group("/*")
        .send()
        .await
        .unwrap();
    assert_eq!(
        patterns(subs.package_groups()),
        ["/maven/com.acme~", "/npm/*"],
        "direct children only"
    );

    // Deleting re-parents the children; the answer is the group deleted.
    let gone = s
        .client
        .delete_package_group()
        .domain(D)
        .package_group("/npm/acme/*")
        .send()
        .await
        .unwrap()
        .package_group
        .unwrap();
    assert_eq!(gone.pattern(), Some("/npm/acme/*"));
    assert_eq!(
        parent(&describe(&s, "/npm/acme/kit~").await),
        Some("/npm/*")
    );
    assert_err(
        s.client
            .delete_package_group()
            .domain(D)
            .package_group("/npm/acme/*")
            .send()
            .await,
        404,
        "ResourceNotFoundException",
    );
    assert_err(
        s.client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await,
        404,
        "ResourceNotFoundException",
    );
}

#[tokio::test]
async fn three_levels_of_inheritance_decide_publishes() {
    let s = TestServer::start().await;
    s.domain_with_repo(D, "rel").await;
    create(&s, "/generic/*").await;
    create(&s, &format!("/generic/{NS}/*")).await;
    create(&s, &format!("/generic/{NS}/kit$")).await;
    set_mode(&s, "/generic/*", Type::Publish, Mode::Block).await;

    let kit = format!("/generic/{NS}/kit$");
    assert_eq!(
        restriction(&describe(&s, &kit).await, Type::Publish),
        (Mode::Inherit, Mode::Block, Some("/generic/*".into()), 0)
    );
    let e = publish_generic(&s, "rel", "kit").await.unwrap_err();
    assert_eq!(e.status, 409, "{e:?}");
    assert!(
        e.message.contains(&kit)
            && e.message.contains("PUBLISH: BLOCK")
            && e.message.contains("inherited from /generic/*"),
        "the refusal names the group and the restriction: {e:?}"
    );
    // The middle level overrides the top one, for its whole subtree.
    set_mode(&s, &format!("/generic/{NS}/*"), Type::Publish, Mode::Allow).await;
    assert_eq!(
        restriction(&describe(&s, &kit).await, Type::Publish),
        (
            Mode::Inherit,
            Mode::Allow,
            Some(format!("/generic/{NS}/*")),
            0
        )
    );
    publish_generic(&s, "rel", "kit").await.unwrap();
    // And the bottom one overrides both.
    set_mode(&s, &kit, Type::Publish, Mode::Block).await;
    s.client
        .delete_package_versions()
        .domain(D)
        .repository("rel")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("kit")
        .versions("1.0")
        .send()
        .await
        .unwrap();
    let e = publish_generic(&s, "rel", "kit").await.unwrap_err();
    assert!(e.message.contains("(PUBLISH: BLOCK)"), "{e:?}");
    // Another package of the namespace is not affected.
    publish_generic(&s, "rel", "other").await.unwrap();
}

#[tokio::test]
async fn allow_specific_repositories_lets_one_repository_publish() {
    let s = TestServer::start().await;
    s.domain_with_repo(D, "releases").await;
    s.create_repo(D, "scratch").await;
    let pattern = format!("/generic/{NS}/*");
    create(&s, &pattern).await;
    let out = s
        .client
        .update_package_group_origin_configuration()
        .domain(D)
        .package_group(&pattern)
        .restrictions(Type::Publish, Mode::AllowSpecificRepositories)
        .add_allowed_repositories(allowed("releases", Type::Publish))
        .add_allowed_repositories(allowed("scratch", Type::InternalUpstream))
        .send()
        .await
        .unwrap();
    let updates = out.allowed_repository_updates().unwrap();
    assert_eq!(updates[&Type::Publish][&Upd::Added], ["releases"]);
    assert_eq!(updates[&Type::InternalUpstream][&Upd::Added], ["scratch"]);
    let g = out.package_group().unwrap();
    assert_eq!(
        restriction(g, Type::Publish),
        (
            Mode::AllowSpecificRepositories,
            Mode::AllowSpecificRepositories,
            None,
            1
        )
    );
    publish_generic(&s, "releases", "lib").await.unwrap();
    let e = publish_generic(&s, "scratch", "lib").await.unwrap_err();
    assert_eq!(e.status, 409);
    assert!(
        e.message.contains("ALLOW_SPECIFIC_REPOSITORIES") && e.message.contains("scratch"),
        "{e:?}"
    );
    // A copy into the repository is a publish too.
    let c = s
        .client
        .copy_package_versions()
        .domain(D)
        .source_repository("releases")
        .destination_repository("scratch")
        .format(PackageFormat::Generic)
        .namespace(NS)
        .package("lib")
        .versions("1.0")
        .send()
        .await
        .unwrap();
    let failed = &c.failed_versions().unwrap()["1.0"];
    assert!(
        failed.error_message().unwrap().contains(&pattern),
        "{failed:?}"
    );

    let list = s
        .client
        .list_allowed_repositories_for_group()
        .domain(D)
        .package_group(&pattern)
        .origin_restriction_type(Type::Publish)
        .send()
        .await
        .unwrap();
    assert_eq!(list.allowed_repositories(), ["releases"]);
    // Removing it refuses it too.
    let out = s
        .client
        .update_package_group_origin_configuration()
        .domain(D)
        .package_group(&pattern)
        .remove_allowed_repositories(allowed("releases", Type::Publish))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.allowed_repository_updates().unwrap()[&Type::Publish][&Upd::Removed],
        ["releases"]
    );
    let e = publish_generic(&s, "releases", "lib2").await.unwrap_err();
    assert_eq!(e.status, 409);
}

#[tokio::test]
async fn weak_matches_are_blocked_and_associations_answered() {
    let s = TestServer::start().await;
    s.domain_with_repo(D, "rel").await;
    create(&s, &format!("/generic/{NS}/my_kit$")).await;
    let assoc = |package: &'static str| {
        let s = &s;
        async move {
            let o = s
                .client
                .get_associated_package_group()
                .domain(D)
                .format(PackageFormat::Generic)
                .namespace(NS)
                .package(package)
                .send()
                .await
                .unwrap();
            (
                o.package_group().unwrap().pattern().unwrap().to_string(),
                o.association_type().unwrap().clone(),
            )
        }
    };
    let exact = format!("/generic/{NS}/my_kit$");
    assert_eq!(
        assoc("my_kit").await,
        (exact.clone(), PackageGroupAssociationType::Strong)
    );
    assert_eq!(
        assoc("My-Kit").await,
        (exact.clone(), PackageGroupAssociationType::Weak)
    );
    assert_eq!(
        assoc("other").await,
        ("/*".into(), PackageGroupAssociationType::Strong)
    );
    let e = publish_generic(&s, "rel", "My-Kit").await.unwrap_err();
    assert!(
        e.message.contains("weakly") && e.message.contains(&exact),
        "{e:?}"
    );
    publish_generic(&s, "rel", "my_kit").await.unwrap();
    publish_generic(&s, "rel", "other").await.unwrap();

    // ListAssociatedPackages, and its preview of a group that does not exist.
    let list = s
        .client
        .list_associated_packages()
        .domain(D)
        .package_group(&exact)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = list
        .packages()
        .iter()
        .map(|p| p.package().unwrap())
        .collect();
    assert_eq!(names, ["my_kit"]);
    let preview = format!("/generic/{NS}/*");
    assert_err(
        s.client
            .list_associated_packages()
            .domain(D)
            .package_group(&preview)
            .send()
            .await,
        404,
        "ResourceNotFoundException",
    );
    let list = s
        .client
        .list_associated_packages()
        .domain(D)
        .package_group(&preview)
        .preview(true)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = list
        .packages()
        .iter()
        .map(|p| p.package().unwrap())
        .collect();
    assert_eq!(
        names,
        ["other"],
        "my_kit stays with its more specific group"
    );
}

#[tokio::test]
async fn npm_publish_into_a_blocked_namespace_is_refused() {
    let s = TestServer::start().await;
    s.domain_with_repo(D, "rel").await;
    create(&s, "/npm/acme/*").await;
    set_mode(&s, "/npm/acme/*", Type::Publish, Mode::Block).await;
    let npm = Npm::login(&s, D, "rel").await;
    let m = manifest("@acme/kit", "1.0.0", json!({}));
    let r = npm.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("/npm/acme/*") && body.contains("PUBLISH: BLOCK"),
        "{body}"
    );
    // Outside the namespace npm publishes as before.
    npm.publish_ok("@other/kit", "1.0.0", json!({})).await;
    // Unblocked: at once.
    set_mode(&s, "/npm/acme/*", Type::Publish, Mode::Allow).await;
    npm.publish_ok("@acme/kit", "1.0.0", json!({})).await;
}

#[tokio::test]
async fn a_deleted_domain_leaves_no_group_tags_behind() {
    let s = TestServer::start().await;
    s.create_domain(D).await;
    let root_arn = describe(&s, "/*").await.arn().unwrap().to_string();
    s.client
        .tag_resource()
        .resource_arn(&root_arn)
        .tags(Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap();
    s.client.delete_domain().domain(D).send().await.unwrap();
    // The same name again: its root group starts without the old tags.
    s.create_domain(D).await;
    let tags = s
        .client
        .list_tags_for_resource()
        .resource_arn(&root_arn)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty(), "{tags:?}");
}
