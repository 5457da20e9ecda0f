//! Binding and validation of requests.

use http::{HeaderMap, HeaderValue};
use serde_json::{json, Map, Value};

use crate::model::{service_model, BindError, Reason, ViolationKind};

const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn bind(
    op: &str,
    query: &str,
    headers: &HeaderMap,
    body: &str,
) -> Result<Map<String, Value>, BindError> {
    service_model()
        .operation(op)
        .unwrap_or_else(|| panic!("no operation {op}"))
        .bind(Some(query), headers, body.as_bytes())
}

fn ok(op: &str, query: &str, body: &str) -> Value {
    match bind(op, query, &HeaderMap::new(), body) {
        Ok(m) => Value::Object(m),
        Err(e) => panic!("{op} {query} {body}: {}", e.message()),
    }
}

fn err(op: &str, query: &str, body: &str) -> BindError {
    match bind(op, query, &HeaderMap::new(), body) {
        Ok(m) => panic!("{op} {query} {body}: unexpectedly bound {m:?}"),
        Err(e) => e,
    }
}

/// The Coral message of a FIELD_VALIDATION_FAILED error.
fn invalid(op: &str, query: &str, body: &str) -> String {
    let e = err(op, query, body);
    assert_eq!(e.reason, Reason::FieldValidationFailed, "{}", e.message());
    assert!(e
        .violations
        .iter()
        .all(|v| v.kind == ViolationKind::Constraint));
    e.message()
}

fn unparsable(op: &str, query: &str, body: &str) -> String {
    let e = err(op, query, body);
    assert_eq!(e.reason, Reason::CannotParse, "{}", e.message());
    assert!(e.violations.iter().all(|v| v.kind == ViolationKind::Parse));
    e.message()
}

const DPV: &str = "DescribePackageVersion";
const DPV_BASE: &str = "domain=my-domain&repository=my-repo&format=npm&package=webpack";

fn dpv(extra: &str) -> String {
    format!("{DPV_BASE}&{extra}")
}

#[test]
fn describe_package_version_binds_typed_members() {
    let got = ok(
        DPV,
        "domain=my-domain&domain-owner=111122223333&repository=my-repo&format=npm\
         &namespace=types&package=webpack&version=4.41.5&unknown-param=ignored",
        "",
    );
    assert_eq!(
        got,
        json!({
            "domain": "my-domain",
            "domainOwner": "111122223333",
            "repository": "my-repo",
            "format": "npm",
            "namespace": "types",
            "package": "webpack",
            "packageVersion": "4.41.5",
        })
    );
    // A body is ignored by an operation without body members.
    assert_eq!(
        ok(DPV, &dpv("version=1.0"), "this is not json"),
        json!({"domain":"my-domain","repository":"my-repo","format":"npm","package":"webpack","packageVersion":"1.0"})
    );
}

#[test]
fn missing_required_members() {
    assert_eq!(
        invalid(DPV, "domain=my-domain&repository=my-repo&format=npm&package=p", ""),
        "1 validation error detected: Value null at 'packageVersion' failed to satisfy constraint: Member must not be null"
    );
    let e = err(DPV, "", "");
    let paths: Vec<&str> = e.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "domain",
            "repository",
            "format",
            "package",
            "packageVersion"
        ]
    );
    assert!(e
        .message()
        .starts_with("5 validation errors detected: Value null at 'domain' failed"));
    assert!(e.violations.iter().all(|v| v.value.is_none()));
}

#[test]
fn bad_patterns() {
    assert_eq!(
        invalid(DPV, "domain=my-domain&repository=my-repo&format=npm&package=%40scope%2Fname&version=1.0", ""),
        "1 validation error detected: Value '@scope/name' at 'package' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [^#/\\s]+"
    );
    assert_eq!(
        invalid(
            DPV,
            "domain=Acme&repository=my-repo&format=npm&package=p&version=1.0",
            ""
        ),
        "1 validation error detected: Value 'Acme' at 'domain' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-z][a-z0-9\\-]{0,48}[a-z0-9]"
    );
    assert_eq!(
        invalid(DPV, &dpv("version=1%200"), ""),
        "1 validation error detected: Value '1 0' at 'packageVersion' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [^#/\\s]+"
    );
    // Java's \s is ASCII-only: NBSP (U+00A0) is allowed, TAB is not.
    assert_eq!(
        ok(DPV, &dpv("version=1%C2%A00"), "")["packageVersion"],
        "1\u{00A0}0"
    );
    assert!(invalid(DPV, &dpv("version=1%090"), "").contains("Value '1\t0' at 'packageVersion'"));
    assert!(invalid(DPV, "domain=my-domain&repository=r!&format=npm&package=p&version=1", "")
        .contains("at 'repository' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9._\\-]{1,99}"));
    assert!(invalid(DPV, &dpv("version=1&domain-owner=12345"), "").contains(
        "2 validation errors detected: \
         Value '12345' at 'domainOwner' failed to satisfy constraint: Member must have length greater than or equal to 12; \
         Value '12345' at 'domainOwner' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}"
    ));
}

#[test]
fn bad_enum() {
    assert_eq!(
        invalid(DPV, "domain=my-domain&repository=my-repo&format=NPM&package=p&version=1.0", ""),
        "1 validation error detected: Value 'NPM' at 'format' failed to satisfy constraint: \
         Member must satisfy enum value set: [npm, pypi, maven, nuget, generic, ruby, swift, cargo]"
    );
}

#[test]
fn too_long_and_too_short() {
    let long_pkg = "a".repeat(256);
    assert_eq!(
        invalid(DPV, &format!("domain=my-domain&repository=my-repo&format=npm&package={long_pkg}&version=1"), ""),
        format!(
            "1 validation error detected: Value '{long_pkg}' at 'package' failed to satisfy constraint: \
             Member must have length less than or equal to 255"
        )
    );
    // Exactly 255 is fine; length is counted in characters, not bytes.
    let max_pkg = "é".repeat(255);
    assert_eq!(
        ok(
            DPV,
            &format!("{DPV_BASE}&version={}", percent(&max_pkg)),
            ""
        )["packageVersion"],
        max_pkg.as_str()
    );
    // 51 characters violate both the length and the pattern of DomainName.
    let long_domain = "a".repeat(51);
    let e = err(
        DPV,
        &format!("domain={long_domain}&repository=my-repo&format=npm&package=p&version=1"),
        "",
    );
    assert_eq!(e.violations.len(), 2);
    assert_eq!(
        e.violations[0].constraint,
        "Member must have length less than or equal to 50"
    );
    assert!(e.violations[1]
        .constraint
        .starts_with("Member must satisfy regular expression pattern"));
    // Empty string: min length and pattern.
    let e = err(DPV, &dpv("version=1&namespace="), "");
    assert_eq!(
        e.message(),
        "2 validation errors detected: \
         Value '' at 'namespace' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value '' at 'namespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [^#/\\s]+"
    );
    // A key without '=' is the empty string too.
    assert_eq!(
        err(DPV, &dpv("version=1&namespace"), "").violations.len(),
        2
    );
}

#[test]
fn multiple_violations_are_reported_together() {
    let e = err(
        DPV,
        "domain=Acme&repository=my-repo&format=NPM&version=1%200",
        "",
    );
    assert_eq!(e.reason, Reason::FieldValidationFailed);
    let m = e.message();
    assert!(m.starts_with("4 validation errors detected: "), "{m}");
    let parts: Vec<&str> = m
        .trim_start_matches("4 validation errors detected: ")
        .split("; ")
        .collect();
    assert_eq!(parts.len(), 4);
    assert!(parts[0].starts_with("Value 'Acme' at 'domain'"));
    assert!(parts[1].starts_with("Value 'NPM' at 'format'"));
    assert_eq!(
        parts[2],
        "Value null at 'package' failed to satisfy constraint: Member must not be null"
    );
    assert!(parts[3].starts_with("Value '1 0' at 'packageVersion'"));
}

#[test]
fn max_results_range_and_parse() {
    const LPVA: &str = "ListPackageVersionAssets";
    let base = "domain=my-domain&repository=my-repo&format=pypi&package=p&version=1.0";
    assert_eq!(
        ok(LPVA, &format!("{base}&max-results=1000"), "")["maxResults"],
        json!(1000)
    );
    assert_eq!(
        ok(LPVA, &format!("{base}&max-results=1"), "")["maxResults"],
        json!(1)
    );
    assert_eq!(
        invalid(LPVA, &format!("{base}&max-results=0"), ""),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        invalid(LPVA, &format!("{base}&max-results=1001"), ""),
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: \
         Member must have value less than or equal to 1000"
    );
    assert_eq!(
        unparsable(LPVA, &format!("{base}&max-results=abc"), ""),
        "Unable to parse request: Value 'abc' at 'maxResults' could not be parsed as an integer"
    );
    for bad in ["", "1.5", "1e3", "%201", "99999999999", "0x10"] {
        unparsable(LPVA, &format!("{base}&max-results={bad}"), "");
    }
    // Parse errors win over constraint errors and are all reported.
    let e = err(LPVA, "max-results=abc&next-token=", "");
    assert_eq!(e.reason, Reason::CannotParse);
    assert_eq!(e.violations.len(), 1);
    // Long and boolean members.
    let gat = "GetAuthorizationToken";
    assert_eq!(
        ok(gat, "domain=my-domain&duration=43200", "")["durationSeconds"],
        json!(43200)
    );
    assert!(invalid(gat, "domain=my-domain&duration=43201", "")
        .contains("Member must have value less than or equal to 43200"));
    assert!(invalid(gat, "domain=my-domain&duration=-1", "")
        .contains("Member must have value greater than or equal to 0"));
    unparsable(gat, "domain=my-domain&duration=12h", "");
    let lap = "ListAssociatedPackages";
    assert_eq!(
        ok(
            lap,
            "domain=my-domain&package-group=%2Fnpm%2F*&preview=true",
            ""
        )["preview"],
        json!(true)
    );
    assert_eq!(
        ok(
            lap,
            "domain=my-domain&package-group=%2Fnpm%2F*&preview=false",
            ""
        )["preview"],
        json!(false)
    );
    assert!(unparsable(
        lap,
        "domain=my-domain&package-group=%2Fnpm%2F*&preview=TRUE",
        ""
    )
    .contains("could not be parsed as a boolean"));
}

#[test]
fn percent_decoding_keeps_literal_plus() {
    let q = |pkg: &str| {
        ok(
            DPV,
            &format!("domain=my-domain&repository=my-repo&format=npm&package={pkg}&version=1"),
            "",
        )
    };
    assert_eq!(q("a%2Bb")["package"], "a+b");
    assert_eq!(q("a+b")["package"], "a+b");
    assert_eq!(q("%41%62c")["package"], "Abc");
    assert_eq!(q("%E6%97%A5%E6%9C%AC")["package"], "日本");
    // Keys are decoded too.
    assert_eq!(
        ok(
            DPV,
            "%64omain=my-domain&repository=my-repo&format=npm&package=p&version%3D=x&version=1",
            ""
        )["domain"],
        "my-domain"
    );
    // An asset name with a space and a plus (GetPackageVersionAsset example).
    let got = ok(
        "GetPackageVersionAsset",
        "domain=my-domain&repository=repo&format=generic&namespace=ns&package=pkg&version=1.0&asset=a%20b%2Bc.txt&revision=REV1",
        "",
    );
    assert_eq!(got["asset"], "a b+c.txt");
    assert_eq!(got["packageVersionRevision"], "REV1");
    // Bytes that are not UTF-8 after decoding cannot be parsed.
    assert!(unparsable(DPV, &dpv("version=%FF"), "").contains("not valid UTF-8"));
}

#[test]
fn repeated_scalar_query_parameter_is_rejected() {
    let m = unparsable(DPV, &dpv("version=1&version=2"), "");
    assert_eq!(
        m,
        "Unable to parse request: Value '1' at 'packageVersion' could not be parsed: \
         the query parameter 'version' was given 2 times, but it takes a single value"
    );
}

#[test]
fn publish_package_version_binds_header_and_leaves_body() {
    let op = service_model().operation("PublishPackageVersion").unwrap();
    assert!(op.has_streaming_input());
    assert!(!op.has_body_members());
    assert_eq!(op.streaming_input_member(), Some("assetContent"));
    let q =
        "domain=my-domain&domain-owner=111122223333&repository=my-repo&format=generic&namespace=ns\
             &package=pkg&version=1.0.0&asset=a%20b%2Bc.txt&unfinished=true";
    let mut h = HeaderMap::new();
    h.insert("X-Amz-Content-SHA256", HeaderValue::from_static(SHA));
    h.insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    let got = op.bind(Some(q), &h, b"raw asset bytes, not json").unwrap();
    assert_eq!(
        Value::Object(got),
        json!({
            "domain": "my-domain",
            "domainOwner": "111122223333",
            "repository": "my-repo",
            "format": "generic",
            "namespace": "ns",
            "package": "pkg",
            "packageVersion": "1.0.0",
            "assetName": "a b+c.txt",
            "assetSHA256": SHA,
            "unfinished": true,
        })
    );
    // Missing header.
    let e = op.bind(Some(q), &HeaderMap::new(), b"").unwrap_err();
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'assetSHA256' failed to satisfy constraint: Member must not be null"
    );
    // Upper-case hex violates the SHA256 pattern; header name matched case-insensitively.
    let mut h = HeaderMap::new();
    h.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(&SHA.to_uppercase()).unwrap(),
    );
    let e = op.bind(Some(q), &h, b"").unwrap_err();
    assert_eq!(e.violations.len(), 1);
    assert_eq!(e.violations[0].path, "assetSHA256");
    assert_eq!(
        e.violations[0].constraint,
        "Member must satisfy regular expression pattern: [0-9a-f]+"
    );
    // Wrong length.
    let mut h = HeaderMap::new();
    h.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    assert_eq!(op.bind(Some(q), &h, b"").unwrap_err().violations.len(), 2);
    // Repeated header.
    let mut h = HeaderMap::new();
    h.append("x-amz-content-sha256", HeaderValue::from_static(SHA));
    h.append("x-amz-content-sha256", HeaderValue::from_static(SHA));
    assert_eq!(
        op.bind(Some(q), &h, b"").unwrap_err().reason,
        Reason::CannotParse
    );
    // Non-UTF-8 header bytes.
    let mut h = HeaderMap::new();
    h.insert(
        "x-amz-content-sha256",
        HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
    );
    assert_eq!(
        op.bind(Some(q), &h, b"").unwrap_err().reason,
        Reason::CannotParse
    );
    // No query string at all.
    let mut h = HeaderMap::new();
    h.insert("x-amz-content-sha256", HeaderValue::from_static(SHA));
    let e = op.bind(None, &h, b"").unwrap_err();
    assert!(
        e.message().starts_with("6 validation errors detected: "),
        "{}",
        e.message()
    );
}

#[test]
fn create_repository_body() {
    let q = "domain=my-domain&repository=my-repo";
    let body = r#"{"description":"My repo","upstreams":[{"repositoryName":"up-1","extra":1},{"repositoryName":"up.2"}],
                   "tags":[{"key":"team","value":"infra"},{"key":"empty","value":""}],"unknownKey":{"a":[1,2]}}"#;
    assert_eq!(
        ok("CreateRepository", q, body),
        json!({
            "domain": "my-domain",
            "repository": "my-repo",
            "description": "My repo",
            "upstreams": [{"repositoryName": "up-1"}, {"repositoryName": "up.2"}],
            "tags": [{"key": "team", "value": "infra"}, {"key": "empty", "value": ""}],
        })
    );
    // No body, empty object, whitespace and null members are all fine.
    for body in ["", "{}", " \n ", r#"{"description":null,"tags":null}"#] {
        assert_eq!(
            ok("CreateRepository", q, body),
            json!({"domain": "my-domain", "repository": "my-repo"}),
            "{body:?}"
        );
    }
    // Nested required member.
    assert_eq!(
        invalid("CreateRepository", q, r#"{"tags":[{"key":"a","value":"b"},{"value":"v"}]}"#),
        "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null"
    );
    let e = err(
        "CreateRepository",
        q,
        r#"{"upstreams":[{}],"tags":[{"key":"","value":"\u0007"}, null],"description":"tab\tis control"}"#,
    );
    let rendered: Vec<String> = e.violations.iter().map(ToString::to_string).collect();
    assert_eq!(
        rendered,
        [
            "Value 'tab\tis control' at 'description' failed to satisfy constraint: Member must satisfy regular expression pattern: \\P{C}*",
            "Value null at 'upstreams.1.member.repositoryName' failed to satisfy constraint: Member must not be null",
            "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: \\P{C}+",
            "Value '\u{7}' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: \\P{C}*",
            "Value null at 'tags.2.member' failed to satisfy constraint: Member must not be null",
        ]
    );
    // Too many tags.
    let tags: Vec<Value> = (0..201)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    let e = err("CreateRepository", q, &json!({ "tags": tags }).to_string());
    assert_eq!(e.violations.len(), 1);
    assert_eq!(e.violations[0].path, "tags");
    assert_eq!(
        e.violations[0].constraint,
        "Member must have length less than or equal to 200"
    );
    assert!(e.violations[0]
        .value
        .as_ref()
        .unwrap()
        .contains("...(truncated, "));
}

#[test]
fn body_parse_errors() {
    let q = "domain=my-domain&repository=my-repo";
    assert!(unparsable("CreateRepository", q, "{bad")
        .starts_with("Unable to parse request: The request body is not valid JSON: "));
    assert_eq!(
        unparsable("CreateRepository", q, "[1]"),
        "Unable to parse request: The request body must be a JSON object, not an array"
    );
    assert_eq!(
        unparsable("CreateRepository", q, "null"),
        "Unable to parse request: The request body must be a JSON object, not null"
    );
    assert_eq!(
        unparsable("CreateRepository", q, r#"{"tags":{"key":"a"},"description":5}"#),
        "Unable to parse request: Value '5' at 'description' could not be parsed as a JSON string; \
         Value '{\"key\":\"a\"}' at 'tags' could not be parsed as a JSON array"
    );
    // Parse errors are reported instead of (missing) required query members.
    let e = err("CreateRepository", "", "{");
    assert_eq!(e.reason, Reason::CannotParse);
    assert_eq!(e.violations.len(), 1);
}

#[test]
fn list_domains_body() {
    let op = service_model().operation("ListDomains").unwrap();
    assert!(op.has_body_members());
    assert_eq!(ok("ListDomains", "", ""), json!({}));
    assert_eq!(
        ok(
            "ListDomains",
            "max-results=3&next-token=ignored",
            r#"{"maxResults":25,"nextToken":"abc"}"#
        ),
        json!({"maxResults": 25, "nextToken": "abc"})
    );
    assert_eq!(
        invalid("ListDomains", "", r#"{"maxResults":0,"nextToken":"a b"}"#),
        "2 validation errors detected: \
         Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1; \
         Value 'a b' at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: \\S+"
    );
    for bad in [
        r#"{"maxResults":"5"}"#,
        r#"{"maxResults":1.5}"#,
        r#"{"maxResults":5000000000}"#,
        r#"{"maxResults":true}"#,
    ] {
        assert!(
            unparsable("ListDomains", "", bad)
                .contains("at 'maxResults' could not be parsed as a 32-bit integer"),
            "{bad}"
        );
    }
}

#[test]
fn copy_package_versions_with_version_revisions_map() {
    let q = "domain=my-domain&source-repository=src&destination-repository=dst&format=npm&package=lodash";
    let got = ok(
        "CopyPackageVersions",
        q,
        r#"{"versionRevisions":{"4.17.20":"rev+/=","4.17.21":"REV2"},"allowOverwrite":true,"includeFromUpstream":false}"#,
    );
    assert_eq!(
        got,
        json!({
            "domain": "my-domain",
            "sourceRepository": "src",
            "destinationRepository": "dst",
            "format": "npm",
            "package": "lodash",
            "versionRevisions": {"4.17.20": "rev+/=", "4.17.21": "REV2"},
            "allowOverwrite": true,
            "includeFromUpstream": false,
        })
    );
    let e = err(
        "CopyPackageVersions",
        q,
        r#"{"versionRevisions":{"1 0":"r1","2.0":"a b","3.0":null,"":"x"}}"#,
    );
    // Entry order follows serde_json's map order; compare as a set.
    let mut rendered: Vec<String> = e.violations.iter().map(ToString::to_string).collect();
    rendered.sort();
    assert_eq!(
        rendered,
        [
            "Value '' at 'versionRevisions' failed to satisfy constraint: Map keys must satisfy constraint: \
             [Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [^#/\\s]+]",
            "Value '1 0' at 'versionRevisions' failed to satisfy constraint: Map keys must satisfy constraint: \
             [Member must satisfy regular expression pattern: [^#/\\s]+]",
            "Value 'a b' at 'versionRevisions.2.0' failed to satisfy constraint: Member must satisfy regular expression pattern: \\S+",
            "Value null at 'versionRevisions.3.0' failed to satisfy constraint: Member must not be null",
        ]
    );
    assert!(
        unparsable("CopyPackageVersions", q, r#"{"allowOverwrite":"yes"}"#)
            .contains("at 'allowOverwrite' could not be parsed as a JSON boolean")
    );
    assert!(unparsable(
        "CopyPackageVersions",
        q,
        r#"{"versionRevisions":{"1.0":7}}"#
    )
    .contains("at 'versionRevisions.1.0' could not be parsed as a JSON string"));
}

#[test]
fn update_package_versions_status() {
    let q = "domain=my-domain&repository=my-repo&format=maven&namespace=com.example&package=lib";
    let got = ok(
        "UpdatePackageVersionsStatus",
        q,
        r#"{"versions":["1.0","2.0"],"versionRevisions":{"1.0":"r"},"expectedStatus":"Published","targetStatus":"Archived"}"#,
    );
    assert_eq!(got["versions"], json!(["1.0", "2.0"]));
    assert_eq!(got["targetStatus"], "Archived");
    assert_eq!(got["expectedStatus"], "Published");
    assert_eq!(got["namespace"], "com.example");

    assert_eq!(
        invalid("UpdatePackageVersionsStatus", q, "{}"),
        "2 validation errors detected: \
         Value null at 'versions' failed to satisfy constraint: Member must not be null; \
         Value null at 'targetStatus' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(
        invalid("UpdatePackageVersionsStatus", q, r#"{"versions":["1.0","a/b"],"targetStatus":"published"}"#),
        "2 validation errors detected: \
         Value 'a/b' at 'versions.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [^#/\\s]+; \
         Value 'published' at 'targetStatus' failed to satisfy constraint: \
         Member must satisfy enum value set: [Published, Unfinished, Unlisted, Archived, Disposed, Deleted]"
    );
    let versions: Vec<String> = (0..101).map(|i| format!("1.{i}")).collect();
    let body = json!({"versions": versions, "targetStatus": "Published"}).to_string();
    let e = err("UpdatePackageVersionsStatus", q, &body);
    assert_eq!(e.violations.len(), 1);
    assert_eq!(
        e.violations[0].constraint,
        "Member must have length less than or equal to 100"
    );
    let versions: Vec<String> = (0..100).map(|i| format!("1.{i}")).collect();
    ok(
        "UpdatePackageVersionsStatus",
        q,
        &json!({"versions": versions, "targetStatus": "Published"}).to_string(),
    );
}

#[test]
fn package_group_origin_configuration_maps() {
    let q = "domain=my-domain&package-group=%2Fnpm%2F*";
    let body = r#"{"restrictions":{"PUBLISH":"BLOCK","EXTERNAL_UPSTREAM":"ALLOW"},
                   "addAllowedRepositories":[{"repositoryName":"r1","originRestrictionType":"PUBLISH"}]}"#;
    let got = ok("UpdatePackageGroupOriginConfiguration", q, body);
    assert_eq!(
        got["restrictions"],
        json!({"PUBLISH": "BLOCK", "EXTERNAL_UPSTREAM": "ALLOW"})
    );
    let e = err(
        "UpdatePackageGroupOriginConfiguration",
        q,
        r#"{"restrictions":{"publish":"NOPE"}}"#,
    );
    let mut rendered: Vec<String> = e.violations.iter().map(ToString::to_string).collect();
    rendered.sort();
    assert_eq!(
        rendered,
        [
            "Value 'NOPE' at 'restrictions.publish' failed to satisfy constraint: \
             Member must satisfy enum value set: [ALLOW, ALLOW_SPECIFIC_REPOSITORIES, BLOCK, INHERIT]",
            "Value 'publish' at 'restrictions' failed to satisfy constraint: Map keys must satisfy constraint: \
             [Member must satisfy enum value set: [EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM, PUBLISH]]",
        ]
    );
    // Nested structure in a body member.
    let q2 = "domain=my-domain&repository=my-repo&format=npm&package=p";
    assert_eq!(
        ok(
            "PutPackageOriginConfiguration",
            q2,
            r#"{"restrictions":{"publish":"ALLOW","upstream":"BLOCK"}}"#
        )["restrictions"],
        json!({"publish": "ALLOW", "upstream": "BLOCK"})
    );
    assert_eq!(
        invalid("PutPackageOriginConfiguration", q2, r#"{"restrictions":{"publish":"allow"}}"#),
        "2 validation errors detected: Value 'allow' at 'restrictions.publish' failed to satisfy constraint: \
         Member must satisfy enum value set: [ALLOW, BLOCK]; \
         Value null at 'restrictions.upstream' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn put_domain_permissions_policy_binds_domain_from_body() {
    let policy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}";
    let body =
        json!({"domain": "my-domain", "domainOwner": "111122223333", "policyDocument": policy})
            .to_string();
    let got = ok("PutDomainPermissionsPolicy", "domain=ignored-query", &body);
    assert_eq!(
        got,
        json!({"domain": "my-domain", "domainOwner": "111122223333", "policyDocument": policy})
    );
    // Long values are truncated in messages.
    let long = "x".repeat(8000);
    let body = json!({"domain": "my-domain", "policyDocument": long}).to_string();
    let e = err("PutDomainPermissionsPolicy", "", &body);
    assert_eq!(e.violations.len(), 1);
    let m = e.message();
    assert!(
        m.contains(&format!(
            "Value '{}...(truncated, 8000 characters)' at 'policyDocument'",
            "x".repeat(256)
        )),
        "{m}"
    );
    assert!(m.ends_with("Member must have length less than or equal to 7168"));
    assert!(m.len() < 500);
}

#[test]
fn ops_without_required_members_bind_empty_requests() {
    assert_eq!(ok("ListRepositories", "", ""), json!({}));
    assert_eq!(
        ok(
            "ListRepositories",
            "repository-prefix=my&max-results=10&next-token=t",
            ""
        ),
        json!({"repositoryPrefix": "my", "maxResults": 10, "nextToken": "t"})
    );
    let op = service_model().operation("ListRepositories").unwrap();
    assert_eq!(op.bind(None, &HeaderMap::new(), b"").unwrap(), Map::new());
}

#[test]
fn delete_package_group_takes_an_unconstrained_string() {
    // DeletePackageGroup's package-group is `String` (no length or pattern),
    // unlike the PackageGroupPattern of the other package-group operations.
    assert_eq!(
        ok("DeletePackageGroup", "domain=my-domain&package-group=", "")["packageGroup"],
        ""
    );
    assert!(invalid(
        "DescribePackageGroup",
        "domain=my-domain&package-group=",
        ""
    )
    .contains("Member must have length greater than or equal to 2"));
}

fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
