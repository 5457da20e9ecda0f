use arca_metadata::{
    AllowedRepository, DomainPackage, GroupMode, GroupRestriction, NewPackageGroup,
    PackageGroupOriginChange, StoreError, ROOT_GROUP_PATTERN,
};

use super::*;

fn group_arn(domain: &DomainRow, pattern: &str) -> String {
    format!(
        "arn:aws:codeartifact:us-east-1:{}:package-group/{}{pattern}",
        domain.owner, domain.name
    )
}

fn new_group(domain: &DomainRow, pattern: &str) -> NewPackageGroup {
    NewPackageGroup {
        domain_id: domain.id,
        pattern: pattern.into(),
        created_ms: 5_000,
        contact_info: None,
        description: None,
        modes: [GroupMode::Inherit; 3],
        arn: group_arn(domain, pattern),
        tags: vec![],
    }
}

const PUBLISH: GroupRestriction = GroupRestriction::Publish;
const EXTERNAL: GroupRestriction = GroupRestriction::ExternalUpstream;

pub async fn groups_root_comes_with_the_domain(store: Store) {
    let d = create_domain(&store, OWNER, "d").await;
    let root = store
        .get_package_group(d.id, ROOT_GROUP_PATTERN)
        .await
        .unwrap()
        .expect("the root group");
    assert_eq!(root.domain_id, d.id);
    assert_eq!(root.created_ms, d.created_ms);
    assert_eq!(root.modes, [GroupMode::Allow; 3]);
    assert_eq!(root.contact_info, None);
    // One group per domain: another domain has its own.
    let e = create_domain(&store, OWNER, "e").await;
    let other = store
        .get_package_group(e.id, ROOT_GROUP_PATTERN)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(other.id, root.id);
    assert!(matches!(
        store.package_groups_revision(i64::MAX).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn groups_create_get_list_update_delete(store: Store) {
    let d = create_domain(&store, OWNER, "d").await;
    let rev0 = store.package_groups_revision(d.id).await.unwrap();
    let mut new = new_group(&d, "/npm/acme/*");
    new.contact_info = Some("ops@acme".into());
    new.description = Some("acme's scope".into());
    new.modes = [GroupMode::Block, GroupMode::Inherit, GroupMode::Allow];
    new.tags = vec![("team".into(), "web".into())];
    let g = store.create_package_group(&new).await.unwrap();
    assert_eq!(g.pattern, "/npm/acme/*");
    assert_eq!(g.mode(PUBLISH), GroupMode::Block);
    assert_eq!(g.mode(GroupRestriction::InternalUpstream), GroupMode::Allow);
    assert_eq!(g.contact_info.as_deref(), Some("ops@acme"));
    assert_eq!(
        store.list_tags(&new.arn).await.unwrap(),
        vec![("team".to_string(), "web".to_string())]
    );
    let rev1 = store.package_groups_revision(d.id).await.unwrap();
    assert_ne!(rev0, rev1, "a create changes the revision");
    assert_eq!(
        store.get_package_group(d.id, "/npm/acme/*").await.unwrap(),
        Some(g.clone())
    );
    assert!(matches!(
        store.create_package_group(&new).await,
        Err(StoreError::AlreadyExists)
    ));
    let mut gone = new_group(&d, "/npm/x/*");
    gone.domain_id = i64::MAX;
    assert!(matches!(
        store.create_package_group(&gone).await,
        Err(StoreError::NotFound)
    ));

    for p in ["/npm/acme~", "/maven/com.acme~", "/npm/acme/ui~", "/npm//*"] {
        store.create_package_group(&new_group(&d, p)).await.unwrap();
    }
    // By pattern, byte order; the prefix is literal; the cursor excludes.
    let all: Vec<String> = store
        .list_package_groups(d.id, "", None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.pattern)
        .collect();
    assert_eq!(
        all,
        [
            "/*",
            "/maven/com.acme~",
            "/npm//*",
            "/npm/acme/*",
            "/npm/acme/ui~",
            "/npm/acme~"
        ]
    );
    let npm: Vec<String> = store
        .list_package_groups(d.id, "/npm/acme", Some("/npm/acme/*"), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.pattern)
        .collect();
    assert_eq!(npm, ["/npm/acme/ui~", "/npm/acme~"]);
    assert_eq!(
        store
            .list_package_groups(d.id, "/npm/%", None, 100)
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        store
            .list_package_groups(d.id, "", None, 2)
            .await
            .unwrap()
            .len(),
        2
    );

    // Fields change independently; None keeps them.
    let u = store
        .update_package_group(g.id, None, Some("new"))
        .await
        .unwrap();
    assert_eq!(u.contact_info.as_deref(), Some("ops@acme"));
    assert_eq!(u.description.as_deref(), Some("new"));
    let u = store
        .update_package_group(g.id, Some(""), None)
        .await
        .unwrap();
    assert_eq!(u.contact_info.as_deref(), Some(""));
    assert_eq!(u.description.as_deref(), Some("new"));
    let rev2 = store.package_groups_revision(d.id).await.unwrap();
    assert_ne!(rev1, rev2);

    store.delete_package_group(g.id, &new.arn).await.unwrap();
    assert_eq!(
        store.get_package_group(d.id, "/npm/acme/*").await.unwrap(),
        None
    );
    assert!(store.list_tags(&new.arn).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_package_group(g.id, &new.arn).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_package_group(g.id, None, None).await,
        Err(StoreError::NotFound)
    ));
    assert_ne!(store.package_groups_revision(d.id).await.unwrap(), rev2);
}

pub async fn groups_origin_changes_and_allowed_repositories(store: Store) {
    let d = create_domain(&store, OWNER, "d").await;
    let a = create_repository(&store, &d, "a", &[]).await;
    let b = create_repository(&store, &d, "B", &[]).await;
    let g = store
        .create_package_group(&new_group(&d, "/npm/acme/*"))
        .await
        .unwrap();
    let rev = store.package_groups_revision(d.id).await.unwrap();
    let change = PackageGroupOriginChange {
        modes: [Some(GroupMode::AllowSpecificRepositories), None, None],
        add: vec![
            (PUBLISH, a.id),
            (PUBLISH, b.id),
            (EXTERNAL, a.id),
            (PUBLISH, a.id),
        ],
        remove: vec![],
    };
    let u = store
        .update_package_group_origin(g.id, &change)
        .await
        .unwrap();
    assert_eq!(
        u.modes,
        [
            GroupMode::AllowSpecificRepositories,
            GroupMode::Inherit,
            GroupMode::Inherit
        ]
    );
    assert_ne!(store.package_groups_revision(d.id).await.unwrap(), rev);
    assert_eq!(
        store
            .list_allowed_repositories(g.id, PUBLISH, None, 10)
            .await
            .unwrap(),
        ["B", "a"]
    );
    assert_eq!(
        store
            .list_allowed_repositories(g.id, PUBLISH, Some("B"), 10)
            .await
            .unwrap(),
        ["a"]
    );
    assert_eq!(
        store
            .list_allowed_repositories(g.id, GroupRestriction::InternalUpstream, None, 10)
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    let entry = |restriction, r: &RepositoryRow| AllowedRepository {
        group_id: g.id,
        restriction,
        repository_id: r.id,
        repository_name: r.name.clone(),
    };
    let mut expected = vec![entry(EXTERNAL, &a), entry(PUBLISH, &b), entry(PUBLISH, &a)];
    let mut got = store.domain_allowed_repositories(d.id).await.unwrap();
    let order = |e: &AllowedRepository| (e.restriction, e.repository_name.clone());
    expected.sort_by_key(order);
    got.sort_by_key(order);
    assert_eq!(got, expected);

    // An unknown repository changes nothing.
    let bad = PackageGroupOriginChange {
        modes: [Some(GroupMode::Block), None, None],
        add: vec![(PUBLISH, i64::MAX)],
        remove: vec![(PUBLISH, a.id)],
    };
    assert!(matches!(
        store.update_package_group_origin(g.id, &bad).await,
        Err(StoreError::NotFound)
    ));
    let now = store
        .get_package_group(d.id, "/npm/acme/*")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.mode(PUBLISH), GroupMode::AllowSpecificRepositories);
    assert_eq!(
        store
            .list_allowed_repositories(g.id, PUBLISH, None, 10)
            .await
            .unwrap(),
        ["B", "a"]
    );

    // Removal (of a missing entry too: nothing).
    let remove = PackageGroupOriginChange {
        remove: vec![(PUBLISH, b.id), (GroupRestriction::InternalUpstream, b.id)],
        ..Default::default()
    };
    store
        .update_package_group_origin(g.id, &remove)
        .await
        .unwrap();
    assert_eq!(
        store
            .list_allowed_repositories(g.id, PUBLISH, None, 10)
            .await
            .unwrap(),
        ["a"]
    );

    // Entries go with their repository (which moves the revision), and with their group.
    let before = store.package_groups_revision(d.id).await.unwrap();
    store
        .delete_repository(a.id, &repository_arn(&d, "a"))
        .await
        .unwrap();
    assert!(store
        .domain_allowed_repositories(d.id)
        .await
        .unwrap()
        .is_empty());
    assert_ne!(store.package_groups_revision(d.id).await.unwrap(), before);
    store
        .update_package_group_origin(
            g.id,
            &PackageGroupOriginChange {
                add: vec![(PUBLISH, b.id)],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .delete_package_group(g.id, &group_arn(&d, "/npm/acme/*"))
        .await
        .unwrap();
    assert!(store
        .domain_allowed_repositories(d.id)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store
            .update_package_group_origin(g.id, &PackageGroupOriginChange::default())
            .await,
        Err(StoreError::NotFound)
    ));
    // Groups go with their domain.
    store
        .delete_repository(b.id, &repository_arn(&d, "B"))
        .await
        .unwrap();
    store.delete_domain(d.id, &d.name).await.unwrap();
    assert!(matches!(
        store.package_groups_revision(d.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .get_package_group(d.id, ROOT_GROUP_PATTERN)
            .await
            .unwrap(),
        None
    );
}

pub async fn groups_domain_packages_are_distinct_across_repositories(store: Store) {
    let d = create_domain(&store, OWNER, "d").await;
    let other = create_domain(&store, OWNER, "other").await;
    let r1 = create_repository(&store, &d, "r1", &[]).await;
    let r2 = create_repository(&store, &d, "r2", &[]).await;
    let elsewhere = create_repository(&store, &other, "r", &[]).await;
    let kit = key(PackageFormat::Npm, "acme", "kit");
    let ui = key(PackageFormat::Npm, "", "ui");
    let lib = key(PackageFormat::Maven, "com.acme", "lib");
    publish(&store, r1.id, &kit, "1.0.0", 1, None).await;
    publish(&store, r2.id, &kit, "1.0.0", 1, None).await;
    publish(&store, r2.id, &ui, "1.0.0", 1, None).await;
    publish(&store, r1.id, &lib, "1.0", 1, None).await;
    publish(
        &store,
        elsewhere.id,
        &key(PackageFormat::Npm, "", "zz"),
        "1",
        1,
        None,
    )
    .await;
    let dp = |k: &PackageKey| DomainPackage {
        format: k.format,
        namespace: k.namespace.clone(),
        name: k.name.clone(),
    };
    assert_eq!(
        store
            .list_domain_packages(d.id, None, None, 10)
            .await
            .unwrap(),
        vec![dp(&lib), dp(&ui), dp(&kit)]
    );
    assert_eq!(
        store
            .list_domain_packages(d.id, Some(PackageFormat::Npm), Some(&dp(&ui)), 10)
            .await
            .unwrap(),
        vec![dp(&kit)]
    );
    assert_eq!(
        store
            .list_domain_packages(d.id, None, None, 1)
            .await
            .unwrap(),
        vec![dp(&lib)]
    );
}

pub async fn groups_concurrent_creations_have_one_winner(store: Store) {
    let d = create_domain(&store, OWNER, "d").await;
    let before = store.package_groups_revision(d.id).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, new) = (store.clone(), new_group(&d, "/npm/acme/*"));
        let own = new_group(&d, &format!("/npm/team{i}/*"));
        tasks.push(tokio::spawn(async move {
            let r = store.create_package_group(&new).await;
            // Each also writes another group of its own: no write is lost.
            store.create_package_group(&own).await.unwrap();
            r
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::AlreadyExists) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(won, 1);
    let all = store
        .list_package_groups(d.id, "", None, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 1 + 1 + 8);
    assert!(store.package_groups_revision(d.id).await.unwrap() >= before + 9);
}
