use arca_metadata::{PrincipalRow, ResourcePolicyRow, StoreError};

use super::*;

fn principal(name: &str, key: &str) -> PrincipalRow {
    PrincipalRow {
        arn: format!("arn:aws:iam::{OWNER}:user/{name}"),
        account: OWNER.into(),
        access_key_id: key.into(),
        sealed_secret: format!("sealed-{key}"),
        policy: Some(r#"{"Statement":[]}"#.into()),
        org_id: None,
        created_ms: 1_000,
        updated_ms: 1_000,
    }
}

fn policy(
    arn: &str,
    domain: &DomainRow,
    repository: Option<&RepositoryRow>,
    rev: &str,
) -> ResourcePolicyRow {
    ResourcePolicyRow {
        resource_arn: arn.into(),
        domain_id: domain.id,
        repository_id: repository.map(|r| r.id),
        revision: rev.into(),
        document: format!("{{\"rev\":\"{rev}\"}}"),
        updated_ms: 3_000,
    }
}

pub async fn principals_create_find_rotate_delete(store: Store) {
    let ci = principal("ci", "AKIACI");
    store.create_principal(&ci).await.unwrap();
    store
        .create_principal(&principal("dev", "AKIADEV"))
        .await
        .unwrap();
    // The ARN and the key are each unique.
    assert!(matches!(
        store.create_principal(&principal("ci", "AKIAOTHER")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store.create_principal(&principal("third", "AKIACI")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.principal_by_access_key("AKIACI").await.unwrap(),
        Some(ci.clone())
    );
    assert_eq!(
        store.principal_by_arn(&ci.arn).await.unwrap(),
        Some(ci.clone())
    );
    assert_eq!(
        store.principal_by_access_key("AKIANONE").await.unwrap(),
        None
    );
    let arns: Vec<String> = store
        .list_principals()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.arn)
        .collect();
    assert_eq!(
        arns,
        [ci.arn.clone(), format!("arn:aws:iam::{OWNER}:user/dev")]
    );

    // Rotation: the old key stops resolving, the new one does.
    let rotated = PrincipalRow {
        access_key_id: "AKIACI2".into(),
        sealed_secret: "sealed-2".into(),
        policy: None,
        org_id: Some("o-acme".into()),
        updated_ms: 2_000,
        ..ci.clone()
    };
    store.update_principal(&rotated).await.unwrap();
    assert_eq!(store.principal_by_access_key("AKIACI").await.unwrap(), None);
    assert_eq!(
        store.principal_by_access_key("AKIACI2").await.unwrap(),
        Some(rotated.clone())
    );
    let taken = PrincipalRow {
        access_key_id: "AKIADEV".into(),
        ..rotated.clone()
    };
    assert!(matches!(
        store.update_principal(&taken).await,
        Err(StoreError::AlreadyExists)
    ));
    let gone = principal("gone", "AKIAGONE");
    assert!(matches!(
        store.update_principal(&gone).await,
        Err(StoreError::NotFound)
    ));

    store.delete_principal(&ci.arn).await.unwrap();
    assert_eq!(
        store.principal_by_access_key("AKIACI2").await.unwrap(),
        None
    );
    assert!(matches!(
        store.delete_principal(&ci.arn).await,
        Err(StoreError::NotFound)
    ));
    let nul = principal("nul\0", "AKIANUL");
    assert!(matches!(
        store.create_principal(&nul).await,
        Err(StoreError::InvalidText(_))
    ));
}

pub async fn resource_policies_lock_on_their_revision(store: Store) {
    let d = create_domain(&store, OWNER, "d").await;
    let arn = domain_arn(OWNER, "d");
    assert_eq!(store.get_resource_policy(&arn).await.unwrap(), None);
    // An expected revision with no policy: nothing to replace.
    assert!(matches!(
        store
            .put_resource_policy(&policy(&arn, &d, None, "r1"), Some("r0"))
            .await,
        Err(StoreError::PreconditionFailed)
    ));
    store
        .put_resource_policy(&policy(&arn, &d, None, "r1"), None)
        .await
        .unwrap();
    assert_eq!(
        store.get_resource_policy(&arn).await.unwrap(),
        Some(policy(&arn, &d, None, "r1"))
    );
    assert!(matches!(
        store
            .put_resource_policy(&policy(&arn, &d, None, "r2"), Some("r0"))
            .await,
        Err(StoreError::PreconditionFailed)
    ));
    store
        .put_resource_policy(&policy(&arn, &d, None, "r2"), Some("r1"))
        .await
        .unwrap();
    // Without a revision, a put replaces whatever is there.
    store
        .put_resource_policy(&policy(&arn, &d, None, "r3"), None)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_resource_policy(&arn)
            .await
            .unwrap()
            .unwrap()
            .revision,
        "r3"
    );

    assert_eq!(
        store
            .delete_resource_policy(&arn, Some("r2"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .delete_resource_policy(&arn, Some("r3"))
            .await
            .unwrap(),
        Some(policy(&arn, &d, None, "r3"))
    );
    assert_eq!(store.get_resource_policy(&arn).await.unwrap(), None);
    assert_eq!(
        store.delete_resource_policy(&arn, None).await.unwrap(),
        None
    );
}

pub async fn resource_policies_go_with_their_resource(store: Store) {
    let d = create_domain(&store, OWNER, "d").await;
    let r = create_repository(&store, &d, "r", &[]).await;
    let r_arn = repository_arn(&d, "r");
    store
        .put_resource_policy(&policy(&r_arn, &d, Some(&r), "a"), None)
        .await
        .unwrap();
    store.delete_repository(r.id, &r_arn).await.unwrap();
    assert_eq!(store.get_resource_policy(&r_arn).await.unwrap(), None);
    // A repository recreated under the same name starts without a policy, and one that is gone
    // cannot get one.
    assert!(matches!(
        store
            .put_resource_policy(&policy(&r_arn, &d, Some(&r), "b"), None)
            .await,
        Err(StoreError::NotFound)
    ));
    let d_arn = domain_arn(OWNER, "d");
    store
        .put_resource_policy(&policy(&d_arn, &d, None, "a"), None)
        .await
        .unwrap();
    store.delete_domain(d.id, &d_arn).await.unwrap();
    assert_eq!(store.get_resource_policy(&d_arn).await.unwrap(), None);
}
