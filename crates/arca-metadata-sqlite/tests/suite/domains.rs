use arca_metadata::{DomainStats, NewDomain, PackageFormat, StoreError};

use super::*;

pub async fn domain_create_get_and_tags(store: Store) {
    let arn = domain_arn(OWNER, "d");
    let tags = vec![
        ("team".to_string(), "x".to_string()),
        ("env".into(), "prod".into()),
    ];
    let created = store
        .create_domain(&NewDomain {
            owner: OWNER.into(),
            name: "d".into(),
            created_ms: 1_234,
            encryption_key: Some("arn:aws:kms:key".into()),
            arn: arn.clone(),
            tags,
        })
        .await
        .unwrap();
    assert_eq!(created.owner, OWNER);
    assert_eq!(created.name, "d");
    assert_eq!(created.created_ms, 1_234);
    assert_eq!(created.encryption_key.as_deref(), Some("arn:aws:kms:key"));

    let got = store.get_domain(OWNER, "d").await.unwrap();
    assert_eq!(got, Some(created.clone()));
    assert_eq!(store.get_domain(OTHER_OWNER, "d").await.unwrap(), None);
    assert_eq!(store.get_domain(OWNER, "D").await.unwrap(), None);

    // Tags were written with the domain, and come back by key.
    assert_eq!(
        store.list_tags(&arn).await.unwrap(),
        vec![("env".into(), "prod".into()), ("team".into(), "x".into())]
    );
    let stats = store.domain_stats(created.id).await.unwrap();
    assert_eq!(stats, DomainStats::default());
}

pub async fn domain_create_duplicate_is_already_exists(store: Store) {
    create_domain(&store, OWNER, "d").await;
    let again = store
        .create_domain(&NewDomain {
            owner: OWNER.into(),
            name: "d".into(),
            created_ms: 5,
            encryption_key: None,
            arn: "arn:second-attempt".into(),
            tags: vec![("k".into(), "v".into())],
        })
        .await;
    assert!(matches!(again, Err(StoreError::AlreadyExists)), "{again:?}");
    // Nothing of the failed attempt was written.
    assert!(store
        .list_tags("arn:second-attempt")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .get_domain(OWNER, "d")
            .await
            .unwrap()
            .unwrap()
            .created_ms,
        1_000
    );

    // The same name is free for another owner, and names differing only by case are distinct.
    create_domain(&store, OTHER_OWNER, "d").await;
    create_domain(&store, OWNER, "D").await;
}

pub async fn domain_list_byte_order_and_cursor(store: Store) {
    for name in TRICKY_NAMES {
        create_domain(&store, OWNER, name).await;
    }
    create_domain(&store, OTHER_OWNER, "a").await;
    create_domain(&store, OTHER_OWNER, "0").await;

    let all = store.list_domains(OWNER, None, 100).await.unwrap();
    let names: Vec<String> = all.iter().map(|d| d.name.clone()).collect();
    assert_eq!(names, byte_sorted(&TRICKY_NAMES));
    assert!(all.iter().all(|d| d.owner == OWNER));

    // Keyset pages of 5 (the last one short) give the same sequence.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= MAX_PAGES, "the keyset cursor does not advance");
        let page = store
            .list_domains(OWNER, after.as_deref(), 5)
            .await
            .unwrap();
        assert!(page.len() <= 5);
        paged.extend(page.iter().map(|d| d.name.clone()));
        if page.len() < 5 {
            break;
        }
        after = Some(page.last().unwrap().name.clone());
    }
    assert_eq!(paged, names);

    // The cursor need not be an existing name: strictly greater, byte order.
    let after_b = store.list_domains(OWNER, Some("B"), 100).await.unwrap();
    let expected: Vec<String> = names
        .iter()
        .filter(|n| n.as_bytes() > b"B".as_slice())
        .cloned()
        .collect();
    assert_eq!(
        after_b.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(store
        .list_domains(OWNER, Some("中"), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_domains("nobody", None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_domains(OWNER, None, 0).await.unwrap().is_empty());
}

pub async fn domain_list_all_by_owner_then_name(store: Store) {
    for (owner, name) in [
        (OTHER_OWNER, "a"),
        (OWNER, "b"),
        (OWNER, "B"),
        (OTHER_OWNER, "0"),
    ] {
        create_domain(&store, owner, name).await;
    }
    let expected = [
        (OWNER, "B"),
        (OWNER, "b"),
        (OTHER_OWNER, "0"),
        (OTHER_OWNER, "a"),
    ];
    let pairs = |rows: &[DomainRow]| -> Vec<(String, String)> {
        rows.iter()
            .map(|d| (d.owner.clone(), d.name.clone()))
            .collect()
    };
    let all = store.list_all_domains(None, 100).await.unwrap();
    assert_eq!(
        pairs(&all),
        expected
            .iter()
            .map(|(o, n)| (o.to_string(), n.to_string()))
            .collect::<Vec<_>>()
    );
    // The cursor is (owner, name), strictly greater: it crosses owners.
    let page = store.list_all_domains(Some((OWNER, "b")), 1).await.unwrap();
    assert_eq!(pairs(&page), [(OTHER_OWNER.to_string(), "0".to_string())]);
    assert!(store
        .list_all_domains(Some((OTHER_OWNER, "a")), 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn domain_delete_conflicts_while_repositories_exist(store: Store) {
    let domain = store
        .create_domain(&NewDomain {
            owner: OWNER.into(),
            name: "d".into(),
            created_ms: 1,
            encryption_key: None,
            arn: domain_arn(OWNER, "d"),
            tags: vec![("k".into(), "v".into())],
        })
        .await
        .unwrap();
    let repo = create_repository(&store, &domain, "r", &[]).await;

    let denied = store
        .delete_domain(domain.id, &domain_arn(OWNER, "d"))
        .await;
    assert!(matches!(denied, Err(StoreError::Conflict(_))), "{denied:?}");
    assert!(store.get_domain(OWNER, "d").await.unwrap().is_some());
    assert_eq!(
        store
            .list_tags(&domain_arn(OWNER, "d"))
            .await
            .unwrap()
            .len(),
        1
    );

    store
        .delete_repository(repo.id, &repository_arn(&domain, "r"))
        .await
        .unwrap();
    store
        .delete_domain(domain.id, &domain_arn(OWNER, "d"))
        .await
        .unwrap();
    assert_eq!(store.get_domain(OWNER, "d").await.unwrap(), None);
    assert!(store
        .list_tags(&domain_arn(OWNER, "d"))
        .await
        .unwrap()
        .is_empty());

    let gone = store
        .delete_domain(domain.id, &domain_arn(OWNER, "d"))
        .await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");

    // A domain created again under the same name is a new domain.
    let again = create_domain(&store, OWNER, "d").await;
    assert_ne!(again.id, domain.id);
}

pub async fn domain_stats_count_distinct_blobs_across_repositories(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let other = create_domain(&store, OWNER, "other").await;
    let r1 = create_repository(&store, &domain, "r1", &[]).await;
    let r2 = create_repository(&store, &domain, "r2", &[]).await;
    let r3 = create_repository(&store, &other, "r3", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");

    // Blob "x" (100 bytes) is referenced four times in the domain: two assets of one version,
    // another version, and another repository. Blob "y" (7 bytes) once.
    let v1 = store
        .apply_publish(&new_version(
            r1.id,
            &pkg,
            "1",
            1,
            Some(asset("a", "x", 100)),
        ))
        .await
        .unwrap();
    store
        .apply_publish(&PublishWrite {
            expect: at(&v1),
            asset: Some(asset("b", "x", 100)),
            ..new_version(r1.id, &pkg, "1", 1, None)
        })
        .await
        .unwrap();
    publish(&store, r1.id, &pkg, "2", 2, Some(asset("a", "x", 100))).await;
    publish(&store, r2.id, &pkg, "1", 1, Some(asset("a", "x", 100))).await;
    publish(&store, r2.id, &pkg, "2", 1, Some(asset("c", "y", 7))).await;
    // Another domain's blobs do not count, even the same digest.
    publish(&store, r3.id, &pkg, "1", 1, Some(asset("a", "x", 100))).await;
    publish(&store, r3.id, &pkg, "2", 1, Some(asset("z", "z", 1_000))).await;

    assert_eq!(
        store.domain_stats(domain.id).await.unwrap(),
        DomainStats {
            repository_count: 2,
            asset_size_bytes: 107,
        }
    );
    assert_eq!(
        store.domain_stats(other.id).await.unwrap(),
        DomainStats {
            repository_count: 1,
            asset_size_bytes: 1_100,
        }
    );

    // Once the only reference to "y" is gone, its bytes no longer count.
    store
        .delete_repository(r2.id, &repository_arn(&domain, "r2"))
        .await
        .unwrap();
    assert_eq!(
        store.domain_stats(domain.id).await.unwrap(),
        DomainStats {
            repository_count: 1,
            asset_size_bytes: 100,
        }
    );
}
