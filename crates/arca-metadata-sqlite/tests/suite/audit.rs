use arca_metadata::{AuditFilter, AuditRow, StoreError};

use super::*;

fn record(time_ms: i64, who: &str, action: &str, result: &str) -> AuditRow {
    AuditRow {
        time_ms,
        principal_arn: format!("arn:aws:iam::{OWNER}:user/{who}"),
        action: format!("codeartifact:{action}"),
        resource_arn: "*".into(),
        result: result.into(),
        request_id: format!("req-{time_ms}"),
        source_ip: "2001:db8::1".into(),
    }
}

fn rows(listed: Vec<(i64, AuditRow)>) -> Vec<AuditRow> {
    listed.into_iter().map(|(_, r)| r).collect()
}

/// Appended records come back in the order written, filtered by time, principal and action, in
/// pages; pruning removes exactly those older than the cut.
pub async fn audit_append_list_filter_page_prune(store: Store) {
    let all = vec![
        record(10, "ci", "PublishPackageVersion", "allowed"),
        record(20, "reader", "PublishPackageVersion", "denied"),
        record(30, "ci", "DeletePackage", "allowed"),
    ];
    store.append_audit(&all[..2]).await.unwrap();
    store.append_audit(&[]).await.unwrap();
    store.append_audit(&all[2..]).await.unwrap();
    let every = AuditFilter::default();
    assert_eq!(rows(store.list_audit(&every, 100).await.unwrap()), all);

    let since = AuditFilter {
        since_ms: Some(20),
        ..AuditFilter::default()
    };
    assert_eq!(rows(store.list_audit(&since, 100).await.unwrap()), all[1..]);
    let by_ci = AuditFilter {
        principal_arn: Some(all[0].principal_arn.clone()),
        ..AuditFilter::default()
    };
    assert_eq!(
        rows(store.list_audit(&by_ci, 100).await.unwrap()),
        vec![all[0].clone(), all[2].clone()]
    );
    let publishes = AuditFilter {
        action: Some("codeartifact:PublishPackageVersion".into()),
        ..AuditFilter::default()
    };
    assert_eq!(
        rows(store.list_audit(&publishes, 100).await.unwrap()),
        all[..2]
    );

    let first = store.list_audit(&every, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let rest = AuditFilter {
        after_id: Some(first[1].0),
        ..AuditFilter::default()
    };
    assert_eq!(rows(store.list_audit(&rest, 2).await.unwrap()), all[2..]);

    assert_eq!(store.prune_audit(20).await.unwrap(), 1);
    assert_eq!(rows(store.list_audit(&every, 100).await.unwrap()), all[1..]);
    assert_eq!(store.prune_audit(20).await.unwrap(), 0);

    let mut nul = record(40, "ci", "DeletePackage", "allowed");
    nul.request_id = "a\0b".into();
    assert!(matches!(
        store.append_audit(&[nul]).await,
        Err(StoreError::InvalidText(_))
    ));
}

/// A publish's record commits with the publish, and not when the publish fails.
pub async fn audit_record_commits_with_its_publish(store: Store) {
    let domain = create_domain(&store, OWNER, "d").await;
    let repo = create_repository(&store, &domain, "r", &[]).await;
    let pkg = key(PackageFormat::Generic, "ns", "p");
    let published = record(10, "ci", "PublishPackageVersion", "allowed");
    store
        .apply_publish(&PublishWrite {
            audit: Some(published.clone()),
            ..new_version(repo.id, &pkg, "1", 10, Some(asset("a", "x", 1)))
        })
        .await
        .unwrap();
    // The same version again: a refused compare-and-set leaves no record.
    let refused = store
        .apply_publish(&PublishWrite {
            audit: Some(record(20, "ci", "PublishPackageVersion", "allowed")),
            ..new_version(repo.id, &pkg, "1", 20, Some(asset("b", "y", 1)))
        })
        .await;
    assert!(matches!(refused, Err(StoreError::PreconditionFailed)));
    let listed = store
        .list_audit(&AuditFilter::default(), 100)
        .await
        .unwrap();
    assert_eq!(rows(listed), vec![published]);
}
