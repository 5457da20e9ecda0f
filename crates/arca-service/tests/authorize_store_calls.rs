//! What authorization costs in store calls: the resource's tags (`aws:ResourceTag/…`) are read
//! only when a policy that applies tests them, never for the root, for policies without such a
//! condition, for a resource being created, or for a package (packages have no tags).

mod common;

use arca_metadata::PackageFormat;
use arca_service::policy::RequestTags;
use arca_service::{
    Caller, DomainRef, PackageRef, PrincipalSpec, RepoRef, Service, ServiceError, Target,
};
use common::*;

const REPO_ARN: &str = "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/web";

fn user(name: &str, key: &str, statement: serde_json::Value) -> PrincipalSpec {
    PrincipalSpec {
        arn: format!("arn:aws:iam::{OWNER}:user/{name}"),
        access_key_id: key.into(),
        secret_access_key: format!("{key}-secret-0123456789"),
        policy: Some(serde_json::json!({"Statement": statement}).to_string()),
        org_id: None,
    }
}

async fn caller(service: &Service, key: &str) -> Caller {
    service
        .principal_by_access_key(key)
        .await
        .unwrap()
        .expect("principal")
        .caller
}

fn repo() -> RepoRef {
    RepoRef {
        domain: DomainRef {
            name: "acme".into(),
            owner: None,
        },
        repository: "web".into(),
    }
}

/// `list_tags` calls made by one authorization; whether it was allowed.
async fn tag_reads(
    service: &Service,
    store: &CountingStore,
    who: &Caller,
    action: &str,
    target: &Target,
    tags: &RequestTags,
) -> (usize, bool) {
    take(store);
    let r = service.authorize_tagged(who, action, target, tags).await;
    if let Err(e) = &r {
        assert!(matches!(e, ServiceError::AccessDenied(_)), "{e:?}");
    }
    let calls = take(store).get("list_tags").copied().unwrap_or(0);
    (calls, r.is_ok())
}

#[tokio::test]
async fn resource_tags_are_read_only_for_policies_that_test_them() {
    let dir = tempfile::tempdir().unwrap();
    let all = serde_json::json!({"Effect": "Allow", "Action": "codeartifact:*", "Resource": "*"});
    let tagged = serde_json::json!({"Effect": "Allow", "Action": "codeartifact:*",
        "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "web"}}});
    let requested = serde_json::json!({"Effect": "Allow", "Action": "codeartifact:*",
        "Resource": "*", "Condition": {"StringEquals": {"aws:RequestTag/team": "web"}}});
    let (service, store) = counting_service(
        dir.path(),
        vec![
            user("plain", "AKIAPLAIN00000000001", all),
            user("tagged", "AKIATAGGED0000000001", tagged),
            user("requested", "AKIAREQUESTED0000001", requested),
        ],
    )
    .await;
    acme_repository(&store, "web", vec![("team".into(), "web".into())]).await;
    let root = Caller::root(OWNER);
    let plain = caller(&service, "AKIAPLAIN00000000001").await;
    let tagged = caller(&service, "AKIATAGGED0000000001").await;
    let requested = caller(&service, "AKIAREQUESTED0000001").await;
    let repo_t = Target::Repository(repo());
    let package = Target::Package(PackageRef {
        repo: repo(),
        format: PackageFormat::Npm,
        namespace: None,
        package: "kit".into(),
    });
    let create = RequestTags::Create(vec![("team".into(), "web".into())]);
    let none = RequestTags::None;
    let describe = "codeartifact:DescribeRepository";
    let s = &service;
    let st = &*store;
    assert_eq!(
        tag_reads(s, st, &root, describe, &repo_t, &none).await,
        (0, true)
    );
    assert_eq!(
        tag_reads(s, st, &plain, describe, &repo_t, &none).await,
        (0, true)
    );
    assert_eq!(
        tag_reads(s, st, &requested, describe, &repo_t, &none).await,
        (0, false)
    );
    assert_eq!(
        tag_reads(s, st, &tagged, describe, &repo_t, &none).await,
        (1, true)
    );
    // A package has no tags: nothing to read, and the condition sees the key absent.
    let publish = "codeartifact:PublishPackageVersion";
    assert_eq!(
        tag_reads(s, st, &tagged, publish, &package, &none).await,
        (0, false)
    );
    // A resource being created has no tags yet; the request's own tags decide.
    let create_repo = "codeartifact:CreateRepository";
    let domain_t = Target::Domain(repo().domain);
    assert_eq!(
        tag_reads(s, st, &tagged, create_repo, &domain_t, &create).await,
        (0, false)
    );
    assert_eq!(
        tag_reads(s, st, &requested, create_repo, &domain_t, &create).await,
        (0, true)
    );
    // The tag operations name the resource by ARN.
    let arn_t = Target::Arn(REPO_ARN.into());
    let tag = RequestTags::Tag(vec![("env".into(), "dev".into())]);
    let tag_op = "codeartifact:TagResource";
    assert_eq!(
        tag_reads(s, st, &tagged, tag_op, &arn_t, &tag).await,
        (1, true)
    );
}
