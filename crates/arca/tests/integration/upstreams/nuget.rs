//! NuGet through upstream repositories: the flat container and registrations merged over
//! `app → team`, retention of a `.nupkg` on download, origin controls on the shared publish path.

use aws_sdk_codeartifact::types::PackageFormat;
use serde_json::json;

use super::standin::describe;
use crate::nuget::{login, nupkg, nuspec, push, push_ok, setup};

#[tokio::test]
async fn upstream_repositories_merge_and_retain() {
    use aws_sdk_codeartifact::types::{
        AllowPublish, AllowUpstream, PackageOriginRestrictions, UpstreamRepository,
    };
    let s = setup().await;
    s.create_repo("acme", "team").await;
    s.client
        .create_repository()
        .domain("acme")
        .repository("app")
        .upstreams(
            UpstreamRepository::builder()
                .repository_name("team")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create app");
    let team = login(&s, "team").await;
    let app = login(&s, "app").await;
    let core = push_ok(&team, "Kit.Core", "1.0.0", "").await;
    push_ok(&team, "Kit.Core", "2.0.0", "").await;
    assert_eq!(app.get("v3/package/nothing/index.json").await.status, 404);

    // The version list and the registration are merged over app → team.
    assert_eq!(
        app.get("v3/package/kit.core/index.json").await.json(),
        json!({"versions": ["1.0.0", "2.0.0"]})
    );
    let doc = app.get("v3/registration/kit.core/index.json").await.json();
    assert_eq!(doc["items"][0]["count"], 2);
    // A version app has only through team: downloaded from app, then retained in app.
    let in_app = |v: &'static str| {
        let s = &s;
        async move {
            describe(s, "app", PackageFormat::Nuget, None, "kit.core", v)
                .await
                .is_some()
        }
    };
    assert!(!in_app("1.0.0").await);
    let r = app
        .get("v3/package/kit.core/1.0.0/kit.core.1.0.0.nupkg")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, core);
    assert!(in_app("1.0.0").await);
    // Origin controls on the shared publish path: a package retained from an upstream is not
    // published to here (publish BLOCK), and a version an upstream has cannot be published here.
    let r = push(&app, &nupkg("Kit.Core", &nuspec("Kit.Core", "3.0.0", ""))).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    push_ok(&team, "Other", "1.0.0", "").await;
    let r = push(&app, &nupkg("Other", &nuspec("Other", "1.0.0", ""))).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    push_ok(&team, "Kit.Core", "4.0.0", "").await;
    assert_eq!(
        app.get("v3/package/kit.core/index.json").await.json(),
        json!({"versions": ["1.0.0", "2.0.0", "4.0.0"]})
    );
    // upstream=BLOCK on app's package: only app's own versions.
    s.client
        .put_package_origin_configuration()
        .domain("acme")
        .repository("app")
        .format(PackageFormat::Nuget)
        .package("kit.core")
        .restrictions(
            PackageOriginRestrictions::builder()
                .publish(AllowPublish::Allow)
                .upstream(AllowUpstream::Block)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("put-package-origin-configuration");
    assert_eq!(
        app.get("v3/package/kit.core/index.json").await.json(),
        json!({"versions": ["1.0.0"]})
    );
    assert_eq!(
        app.get("v3/package/kit.core/4.0.0/kit.core.4.0.0.nupkg")
            .await
            .status,
        404
    );
}
