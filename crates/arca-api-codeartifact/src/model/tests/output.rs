//! Validation of response JSON against output shapes.

use serde_json::json;

use crate::model::{service_model, REDACTED};

fn rendered(shape: &str, v: &serde_json::Value) -> Vec<String> {
    service_model()
        .validate_shape(shape, v)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_valid_describe_package_version_result_passes() {
    let v = json!({"packageVersion":{"format":"npm","namespace":"types","packageName":"webpack","displayName":"webpack",
        "version":"4.41.5","summary":"…","homePage":"https://example.com","sourceCodeRepository":"https://example.com/src",
        "publishedTime":1577481261.09,"licenses":[{"name":"MIT","url":"https://opensource.org/licenses/MIT"}],
        "revision":"REVISION-1","status":"Published",
        "origin":{"domainEntryPoint":{"externalConnectionName":"public:npmjs"},"originType":"EXTERNAL"}}});
    assert_eq!(
        rendered("DescribePackageVersionResult", &v),
        Vec::<String>::new()
    );
    let op = service_model().operation("DescribePackageVersion").unwrap();
    assert_eq!(op.output_shape(), Some("DescribePackageVersionResult"));
    assert_eq!(op.input_shape(), Some("DescribePackageVersionRequest"));
    assert!(op.validate_output(&v).is_empty());
}

#[test]
fn unknown_members_wrong_types_and_missing_required_are_reported() {
    // `package` instead of `packageName` (the User Guide's flattened example),
    // a string timestamp, a bad status and a missing required member.
    let v = json!({"packageVersion":{"format":"npm","package":"webpack","version":"1.0",
        "publishedTime":"2020-01-01T00:00:00Z","status":"published"}});
    assert_eq!(
        rendered("DescribePackageVersionResult", &v),
        [
            "Value '2020-01-01T00:00:00Z' at 'packageVersion.publishedTime' failed to satisfy constraint: Member must be of type timestamp",
            "Value 'published' at 'packageVersion.status' failed to satisfy constraint: \
             Member must satisfy enum value set: [Published, Unfinished, Unlisted, Archived, Disposed, Deleted]",
            "Value 'webpack' at 'packageVersion.package' failed to satisfy constraint: \
             Member is not defined in shape PackageVersionDescription",
        ]
    );
    assert_eq!(
        rendered("DescribePackageVersionResult", &json!({})),
        ["Value null at 'packageVersion' failed to satisfy constraint: Member must not be null"]
    );
    assert_eq!(
        rendered("DescribePackageVersionResult", &json!([])),
        ["Value '[]' at '' failed to satisfy constraint: Member must be of type structure"]
    );
}

#[test]
fn list_package_version_assets_result_with_hash_map() {
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let ok = json!({"format":"generic","namespace":"ns","package":"p","version":"1.0","versionRevision":"r",
        "assets":[{"name":"a.txt","size":0,"hashes":{"SHA-256":sha}}]});
    assert!(rendered("ListPackageVersionAssetsResult", &ok).is_empty());
    let bad = json!({"assets":[{"name":"a.txt","size":1.5,"hashes":{"sha256":sha,"MD5":"ABC"}}]});
    let mut got = rendered("ListPackageVersionAssetsResult", &bad);
    got.sort();
    assert_eq!(
        got,
        [
            "Value '1.5' at 'assets.1.member.size' failed to satisfy constraint: Member must be of type long",
            "Value 'ABC' at 'assets.1.member.hashes.MD5' failed to satisfy constraint: Member must have length greater than or equal to 32",
            "Value 'ABC' at 'assets.1.member.hashes.MD5' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-f]+",
            "Value 'sha256' at 'assets.1.member.hashes' failed to satisfy constraint: Map keys must satisfy constraint: \
             [Member must satisfy enum value set: [MD5, SHA-1, SHA-256, SHA-512]]",
        ]
    );
}

#[test]
fn sensitive_values_are_redacted_and_unknown_shapes_reported() {
    let v = json!({"authorizationToken": 5, "expiration": 1795281974.36044});
    let got = service_model().validate_shape("GetAuthorizationTokenResult", &v);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value.as_deref(), Some(REDACTED));
    assert_eq!(got[0].path, "authorizationToken");

    let got = service_model().validate_shape("NoSuchShape", &json!({}));
    assert_eq!(got.len(), 1);
    assert!(got[0].constraint.contains("NoSuchShape"));
    assert!(service_model().has_shape("PackageVersionDescription"));
    assert!(!service_model().has_shape("NoSuchShape"));
}

#[test]
fn streaming_and_header_output_members() {
    // GetPackageVersionAsset: header members validated under their member
    // names; the streaming `asset` member is skipped.
    let op = service_model().operation("GetPackageVersionAsset").unwrap();
    assert!(op
        .validate_output(
            &json!({"assetName":"a b+c.txt","packageVersion":"1.0","packageVersionRevision":"r"})
        )
        .is_empty());
    let got = op.validate_output(&json!({"assetName":"a\u{0}b"}));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "assetName");
    // Empty outputs (TagResource) accept `{}` only.
    let tag = service_model().operation("TagResource").unwrap();
    assert!(tag.validate_output(&json!({})).is_empty());
    assert_eq!(tag.validate_output(&json!({"x": 1})).len(), 1);
}
