use arca_metadata::{
    DomainStats, ExternalConnectionChange, NewRepository, PackageFormat, RepositoryFilter,
    StoreError,
};

use super::*;

fn new_repository(domain: &DomainRow, name: &str, admin: &str) -> NewRepository {
    NewRepository {
        domain_id: domain.id,
        name: name.into(),
        administrator_account: admin.into(),
        description: None,
        created_ms: 2_000,
        upstreams: vec![],
        arn: repository_arn(domain, name),
        tags: vec![],
    }
}

pub async fn repository_create_get_with_ordered_upstreams_and_tags(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let created = store
        .create_repository(&NewRepository {
            description: Some("desc".into()),
            upstreams: vec!["z".into(), "a".into(), "m".into()],
            tags: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
            ..new_repository(&domain, "r", "999988887777")
        })
        .await
        .unwrap();
    assert_eq!(created.domain_id, domain.id);
    assert_eq!(created.domain_name, "d");
    assert_eq!(created.domain_owner, OWNER);
    assert_eq!(created.name, "r");
    assert_eq!(created.administrator_account, "999988887777");
    assert_eq!(created.description.as_deref(), Some("desc"));
    assert_eq!(created.created_ms, 2_000);
    assert_eq!(created.upstreams, vec!["z", "a", "m"]);

    let got = store.get_repository(domain.id, "r").await.unwrap();
    assert_eq!(got, Some(created));
    assert_eq!(store.get_repository(domain.id, "R").await.unwrap(), None);
    assert_eq!(
        store
            .list_tags(&repository_arn(&domain, "r"))
            .await
            .unwrap(),
        vec![("a".into(), "1".into()), ("b".into(), "2".into())]
    );
}

pub async fn repository_create_duplicate_is_already_exists(store: Store) {
    let d1 = create_domain(&store, OWNER, "d1").await;
    let d2 = create_domain(&store, OWNER, "d2").await;
    create_repository(&store, &d1, "r", &[]).await;
    let again = store
        .create_repository(&NewRepository {
            upstreams: vec!["x".into()],
            arn: "arn:second-attempt".into(),
            tags: vec![("k".into(), "v".into())],
            ..new_repository(&d1, "r", OWNER)
        })
        .await;
    assert!(matches!(again, Err(StoreError::AlreadyExists)), "{again:?}");
    assert!(store
        .list_tags("arn:second-attempt")
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .get_repository(d1.id, "r")
        .await
        .unwrap()
        .unwrap()
        .upstreams
        .is_empty());
    // The same name in another domain is fine.
    create_repository(&store, &d2, "r", &[]).await;
}

pub async fn repository_create_in_missing_domain_is_not_found(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    store
        .delete_domain(domain.id, &domain_arn(OWNER, "d"))
        .await
        .unwrap();
    let orphan = store
        .create_repository(&new_repository(&domain, "r", OWNER))
        .await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");
}

pub async fn repository_update_fields_independently(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &["u1", "u2"]).await;

    let updated = store
        .update_repository(repo.id, Some("new description"), None)
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("new description"));
    assert_eq!(updated.upstreams, vec!["u1", "u2"]);

    let upstreams = vec!["u3".to_string(), "u1".to_string()];
    let updated = store
        .update_repository(repo.id, None, Some(&upstreams))
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("new description"));
    assert_eq!(updated.upstreams, vec!["u3", "u1"]);

    let updated = store
        .update_repository(repo.id, Some(""), Some(&[]))
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some(""));
    assert!(updated.upstreams.is_empty());
    assert_eq!(
        store.get_repository(domain.id, "r").await.unwrap(),
        Some(updated)
    );

    let unchanged = store.update_repository(repo.id, None, None).await.unwrap();
    assert_eq!(unchanged.upstreams, Vec::<String>::new());

    let missing = store
        .update_repository(repo.id + 1_000, Some("x"), None)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

pub async fn repository_external_connection_compare_and_set(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &["u1"]).await;
    assert_eq!(repo.external_connection, None);
    let change = |expect: Option<&str>, set: Option<&str>| ExternalConnectionChange {
        expect: expect.map(str::to_string),
        set: set.map(str::to_string),
    };

    let set = store
        .set_external_connection(repo.id, &change(None, Some("public:npmjs")))
        .await
        .unwrap();
    assert_eq!(set.external_connection.as_deref(), Some("public:npmjs"));
    assert_eq!(set.upstreams, vec!["u1"], "the rest of the row is kept");
    assert_eq!(
        store.get_repository(domain.id, "r").await.unwrap(),
        Some(set.clone())
    );
    let listed = store
        .list_repositories(
            &RepositoryFilter {
                domain_id: Some(domain.id),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        listed[0].external_connection.as_deref(),
        Some("public:npmjs")
    );

    // A second connection while one is attached: the guard fails and nothing changes.
    let second = store
        .set_external_connection(repo.id, &change(None, Some("public:pypi")))
        .await;
    assert!(
        matches!(second, Err(StoreError::PreconditionFailed)),
        "{second:?}"
    );
    let wrong = store
        .set_external_connection(repo.id, &change(Some("public:pypi"), None))
        .await;
    assert!(
        matches!(wrong, Err(StoreError::PreconditionFailed)),
        "{wrong:?}"
    );
    assert_eq!(
        store.get_repository(domain.id, "r").await.unwrap(),
        Some(set)
    );

    let cleared = store
        .set_external_connection(repo.id, &change(Some("public:npmjs"), None))
        .await
        .unwrap();
    assert_eq!(cleared.external_connection, None);

    let missing = store
        .set_external_connection(repo.id + 1_000, &change(None, Some("public:npmjs")))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

fn pairs(repos: &[RepositoryRow]) -> Vec<(String, String)> {
    repos
        .iter()
        .map(|r| (r.name.clone(), r.domain_name.clone()))
        .collect()
}

pub async fn repository_list_order_cursor_and_filters(store: Store) {
    // Two domains of OWNER whose names sort differently by bytes than by case ("B" < "a"), and a
    // domain of another owner.
    let da = create_domain(&store, OWNER, "a").await;
    let db = create_domain(&store, OWNER, "B").await;
    let foreign = create_domain(&store, OTHER_OWNER, "a").await;
    let mut expected = Vec::new();
    for (i, name) in TRICKY_NAMES.iter().enumerate() {
        let admin = if i % 2 == 0 {
            "admin-even"
        } else {
            "admin-odd"
        };
        store
            .create_repository(&NewRepository {
                upstreams: vec![format!("up-{name}")],
                ..new_repository(&da, name, admin)
            })
            .await
            .unwrap();
        expected.push((name.to_string(), "a".to_string()));
        if i % 3 == 0 {
            store
                .create_repository(&new_repository(&db, name, admin))
                .await
                .unwrap();
            expected.push((name.to_string(), "B".to_string()));
        }
    }
    create_repository(&store, &foreign, "a", &[]).await;
    expected
        .sort_by(|x, y| (x.0.as_bytes(), x.1.as_bytes()).cmp(&(y.0.as_bytes(), y.1.as_bytes())));

    let mine = RepositoryFilter {
        domain_owner: Some(OWNER.into()),
        ..Default::default()
    };
    let all = store.list_repositories(&mine, 100).await.unwrap();
    assert_eq!(pairs(&all), expected);
    // Rows carry their upstreams and domain.
    let first_a = all.iter().find(|r| r.domain_name == "a").unwrap();
    assert_eq!(first_a.upstreams, vec![format!("up-{}", first_a.name)]);
    assert_eq!(first_a.domain_owner, OWNER);
    assert!(all
        .iter()
        .filter(|r| r.domain_name == "B")
        .all(|r| r.upstreams.is_empty()));

    // Pages of 3: the cursor is the (repository name, domain name) pair, so a name present in
    // both domains may be split across pages.
    let mut paged = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= MAX_PAGES, "the keyset cursor does not advance");
        let page = store
            .list_repositories(
                &RepositoryFilter {
                    after: after.clone(),
                    ..mine.clone()
                },
                3,
            )
            .await
            .unwrap();
        paged.extend(pairs(&page));
        if page.len() < 3 {
            break;
        }
        let last = page.last().unwrap();
        after = Some((last.name.clone(), last.domain_name.clone()));
    }
    assert_eq!(paged, expected);

    // Cursor between the two rows of the same repository name: ("a", "B") < ("a", "a").
    let after_a_in_b = store
        .list_repositories(
            &RepositoryFilter {
                after: Some(("a".into(), "B".into())),
                ..mine.clone()
            },
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        pairs(&after_a_in_b),
        vec![("a".to_string(), "a".to_string())]
    );

    // One domain only.
    let in_b = store
        .list_repositories(
            &RepositoryFilter {
                domain_id: Some(db.id),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    let expected_b: Vec<_> = expected.iter().filter(|p| p.1 == "B").cloned().collect();
    assert_eq!(pairs(&in_b), expected_b);

    // Administrator filter.
    let odd = store
        .list_repositories(
            &RepositoryFilter {
                administrator_account: Some("admin-odd".into()),
                ..mine.clone()
            },
            100,
        )
        .await
        .unwrap();
    assert!(!odd.is_empty());
    assert!(odd.iter().all(|r| r.administrator_account == "admin-odd"));
    assert_eq!(
        odd.len(),
        all.iter()
            .filter(|r| r.administrator_account == "admin-odd")
            .count()
    );

    // Another owner sees only its own.
    let theirs = store
        .list_repositories(
            &RepositoryFilter {
                domain_owner: Some(OTHER_OWNER.into()),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(pairs(&theirs), vec![("a".to_string(), "a".to_string())]);
    assert_eq!(theirs[0].domain_owner, OTHER_OWNER);
}

pub async fn repository_list_prefix_is_literal(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let names = ["a%b", "a%", "a_b", "axb", "ab", "a", "A%", "é%x", "éx"];
    for name in names {
        create_repository(&store, &domain, name, &[]).await;
    }
    let list = |prefix: &str| {
        let store = store.clone();
        let filter = RepositoryFilter {
            domain_id: Some(domain.id),
            name_prefix: Some(prefix.to_string()),
            ..Default::default()
        };
        async move {
            store
                .list_repositories(&filter, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("a%").await, vec!["a%", "a%b"]);
    assert_eq!(list("a_").await, vec!["a_b"]);
    assert_eq!(
        list("a").await,
        byte_sorted(&["a%b", "a%", "a_b", "axb", "ab", "a"])
    );
    assert_eq!(list("é").await, vec!["é%x", "éx"]);
    assert_eq!(list("é%").await, vec!["é%x"]);
    assert!(list("%").await.is_empty());
    assert!(list("b").await.is_empty());
    assert_eq!(list("").await.len(), names.len());
}

pub async fn repository_downstreams(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let other = create_domain(&store, OWNER, "other").await;
    create_repository(&store, &domain, "base", &[]).await;
    create_repository(&store, &domain, "z-user", &["x", "base"]).await;
    create_repository(&store, &domain, "a-user", &["base"]).await;
    create_repository(&store, &domain, "unrelated", &["x"]).await;
    create_repository(&store, &other, "foreign-user", &["base"]).await;

    assert_eq!(
        store.downstreams_of(domain.id, "base").await.unwrap(),
        vec!["a-user", "z-user"]
    );
    assert_eq!(
        store.downstreams_of(other.id, "base").await.unwrap(),
        vec!["foreign-user"]
    );
    assert!(store
        .downstreams_of(domain.id, "a-user")
        .await
        .unwrap()
        .is_empty());
}

pub async fn repository_delete_conflicts_while_an_upstream(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let other = create_domain(&store, OWNER, "other").await;
    let base = create_repository(&store, &domain, "base", &[]).await;
    let user = create_repository(&store, &domain, "user", &["base"]).await;
    // A repository of the same name as an upstream in another domain does not count.
    create_repository(&store, &other, "foreign", &["user"]).await;

    let denied = store
        .delete_repository(base.id, &repository_arn(&domain, "base"))
        .await;
    match denied {
        Err(StoreError::Conflict(message)) => assert!(message.contains("user"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(store
        .get_repository(domain.id, "base")
        .await
        .unwrap()
        .is_some());

    store
        .delete_repository(user.id, &repository_arn(&domain, "user"))
        .await
        .unwrap();
    store
        .delete_repository(base.id, &repository_arn(&domain, "base"))
        .await
        .unwrap();
    assert!(store
        .get_repository(domain.id, "base")
        .await
        .unwrap()
        .is_none());

    let gone = store
        .delete_repository(base.id, &repository_arn(&domain, "base"))
        .await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
}

pub async fn repository_delete_removes_everything_it_owns(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let doomed = store
        .create_repository(&NewRepository {
            upstreams: vec!["kept".into()],
            tags: vec![("k".into(), "v".into())],
            ..new_repository(&domain, "doomed", OWNER)
        })
        .await
        .unwrap();
    let kept = store
        .create_repository(&NewRepository {
            tags: vec![("k".into(), "v".into())],
            ..new_repository(&domain, "kept", OWNER)
        })
        .await
        .unwrap();
    let npm = key(PackageFormat::Npm, "", "left-pad");
    let generic = key(PackageFormat::Generic, "ns", "tool");
    let v1 = publish(
        &store,
        doomed.id,
        &npm,
        "1.0.0",
        1,
        Some(asset("a.tgz", "x", 10)),
    )
    .await;
    let v2 = publish(
        &store,
        doomed.id,
        &generic,
        "1",
        1,
        Some(asset("f", "y", 20)),
    )
    .await;
    let kv = publish(
        &store,
        kept.id,
        &npm,
        "1.0.0",
        1,
        Some(asset("a.tgz", "x", 10)),
    )
    .await;
    let doomed_npm = store.get_package(doomed.id, &npm).await.unwrap().unwrap();

    store
        .delete_repository(doomed.id, &repository_arn(&domain, "doomed"))
        .await
        .unwrap();

    assert!(store
        .get_repository(domain.id, "doomed")
        .await
        .unwrap()
        .is_none());
    assert!(store.get_package(doomed.id, &npm).await.unwrap().is_none());
    assert!(store
        .get_package(doomed.id, &generic)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_version(doomed_npm.id, "1.0.0")
        .await
        .unwrap()
        .is_none());
    assert!(store.version_assets(v1.id).await.unwrap().is_empty());
    assert!(store.version_assets(v2.id).await.unwrap().is_empty());
    assert!(store
        .list_tags(&repository_arn(&domain, "doomed"))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .downstreams_of(domain.id, "kept")
        .await
        .unwrap()
        .is_empty());

    // The other repository is untouched.
    assert_eq!(store.version_assets(kv.id).await.unwrap().len(), 1);
    assert_eq!(
        store
            .list_tags(&repository_arn(&domain, "kept"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.domain_stats(domain.id).await.unwrap(),
        DomainStats {
            repository_count: 1,
            asset_size_bytes: 10,
        }
    );

    // The name can be used again, for a repository that starts empty.
    let reborn = create_repository(&store, &domain, "doomed", &[]).await;
    assert!(store.get_package(reborn.id, &npm).await.unwrap().is_none());
}
