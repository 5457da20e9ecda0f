//! NuGet v3 over plain HTTP, as NuGet.exe uses it: the service index and the 401 challenge it
//! retries on, pushes built the way `nuget pack` and `nuget push` build them, the flat container
//! (versions, `.nupkg`, `.nuspec`), version normalization, 409/400 — and what the API then shows.
//! (`tests/e2e/nuget.sh` runs the real NuGet.exe under mono.)

use aws_sdk_codeartifact::types::{PackageFormat, PackageVersionStatus};
use base64::Engine;
use http::Method;
use serde_json::{json, Value};

use crate::common::npm::Npm;
use crate::common::*;
use crate::upstreams::standin::{asset_names, describe};

/// A client of acme/`repo`'s NuGet endpoint with the token as a Basic password (user `aws`), as
/// `aws codeartifact login --tool nuget` configures NuGet.
pub async fn login<'a>(s: &'a TestServer, repo: &str) -> Npm<'a> {
    let mut c = Npm::login(s, "acme", repo).await;
    let token = c.authorization.take().expect("token");
    let token = token.trim_start_matches("Bearer ");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"));
    c.authorization = Some(format!("Basic {basic}"));
    c.base = c.base.replacen("/npm/", "/nuget/", 1);
    c
}

pub fn nuspec(id: &str, version: &str, dependencies: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{id}</id>
    <version>{version}</version>
    <authors>Acme</authors>
    <description>{id} does things</description>
    <license type="expression">MIT</license>
    <projectUrl>https://acme.test/{id}</projectUrl>
    <dependencies>{dependencies}</dependencies>
  </metadata>
</package>"#
    )
}

/// A `.nupkg` as `nuget pack` lays it out: the `.nuspec` at the top, then the content.
pub fn nupkg(id: &str, nuspec: &str) -> Vec<u8> {
    stored_zip(&[
        ("_rels/.rels", b"<Relationships/>"),
        (&format!("{id}.nuspec"), nuspec.as_bytes()),
        (&format!("lib/netstandard2.0/{id}.dll"), b"MZ not really"),
        ("[Content_Types].xml", b"<Types/>"),
    ])
}

/// `nuget push`'s body: one file part named `package`.
pub async fn push(c: &Npm<'_>, package: &[u8]) -> RawResponse {
    let mut b = Vec::new();
    b.extend_from_slice(b"--8d2b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; name=package; filename=package.nupkg; filename*=utf-8''package.nupkg\r\n\r\n");
    b.extend_from_slice(package);
    b.extend_from_slice(b"\r\n--8d2b--\r\n");
    let headers = [
        ("content-type", "multipart/form-data; boundary=\"8d2b\""),
        ("x-nuget-protocol-version", "4.1.0"),
    ];
    c.request(Method::PUT, "v2/package", &headers, b).await
}

pub async fn push_ok(c: &Npm<'_>, id: &str, version: &str, dependencies: &str) -> Vec<u8> {
    let file = nupkg(id, &nuspec(id, version, dependencies));
    let r = push(c, &file).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    file
}

pub async fn setup() -> TestServer {
    let s = TestServer::start().await;
    s.domain_with_repo("acme", "releases").await;
    s
}

async fn packages(s: &TestServer) -> Vec<String> {
    s.client
        .list_packages()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Nuget)
        .send()
        .await
        .expect("list-packages")
        .packages()
        .iter()
        .map(|p| p.package().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn service_index_and_the_401_nuget_retries_on() {
    let s = setup().await;
    let mut c = login(&s, "releases").await;
    let basic = c.authorization.clone().unwrap();
    let raw = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(basic.trim_start_matches("Basic "))
            .unwrap(),
    )
    .unwrap();
    let token = raw.trim_start_matches("aws:").to_string();
    let endpoint = format!("http://{}{}", s.addr, c.base);

    let r = c.get("v3/index.json").await;
    assert_eq!(r.status, 200);
    let index = r.json();
    assert_eq!(index["version"], "3.0.0");
    let id_of = |t: &str| -> Option<String> {
        index["resources"]
            .as_array()?
            .iter()
            .find(|r| r["@type"] == t)
            .and_then(|r| r["@id"].as_str().map(str::to_string))
    };
    assert_eq!(
        id_of("PackagePublish/2.0.0"),
        Some(format!("{endpoint}v2/package"))
    );
    assert_eq!(
        id_of("PackageBaseAddress/3.0.0"),
        Some(format!("{endpoint}v3/package/"))
    );

    // Any user name with the token as password, Bearer, or the token as X-NuGet-ApiKey.
    let anyone = base64::engine::general_purpose::STANDARD.encode(format!("me:{token}"));
    for (auth, key) in [
        (Some(format!("Basic {anyone}")), None),
        (Some(format!("Bearer {token}")), None),
        (None, Some(token.as_str())),
    ] {
        c.authorization = auth;
        let headers: Vec<(&str, &str)> = key.map(|k| ("x-nuget-apikey", k)).into_iter().collect();
        let r = c
            .request(Method::GET, "v3/index.json", &headers, Vec::new())
            .await;
        assert_eq!(r.status, 200, "{:?}", c.authorization);
    }
    // No credentials, a bad token, or a bad API key: 401 with a Basic challenge, never 403/404,
    // on every resource (NuGet only sends the source's credentials after this challenge).
    for (auth, key) in [
        (None, None),
        (Some("Basic Zm9yZ2VkOnRva2Vu".to_string()), None),
        (None, Some("forged.token")),
    ] {
        c.authorization = auth;
        let headers: Vec<(&str, &str)> = key.map(|k| ("x-nuget-apikey", k)).into_iter().collect();
        for (m, path) in [
            (Method::GET, "v3/index.json"),
            (Method::GET, "v3/package/nothing/index.json"),
            (Method::PUT, "v2/package"),
        ] {
            let r = c.request(m, path, &headers, Vec::new()).await;
            assert_eq!(r.status, 401, "{path}");
            assert!(
                r.header("www-authenticate").unwrap().starts_with("Basic "),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn push_restore_and_the_api() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    // NuGet probes the flat container: an unknown package is a 404.
    assert_eq!(c.get("v3/package/kit.core/index.json").await.status, 404);

    // 1.01.0 is stored as 1.1.0; build metadata is dropped; a prerelease is lowercased.
    let core = push_ok(&c, "Kit.Core", "1.01.0", "").await;
    let core2 = push_ok(&c, "Kit.Core", "1.2.0.0+sha.5", "").await;
    let deps = r#"<group targetFramework=".NETStandard2.0"><dependency id="Kit.Core" version="[1.1.0, )" /></group>"#;
    let app = push_ok(&c, "Kit.App", "2.0.0-Beta.1", deps).await;
    push_ok(&c, "Kit.Core", "1.10.0-rc.2", "").await;

    let r = c.get("v3/package/kit.core/index.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"versions": ["1.1.0", "1.2.0", "1.10.0-rc.2"]})
    );
    // Ids are case-insensitive in the flat container.
    assert_eq!(
        c.get("v3/package/Kit.Core/index.json").await.json()["versions"][0],
        "1.1.0"
    );

    let r = c
        .get("v3/package/kit.core/1.1.0/kit.core.1.1.0.nupkg")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, core);
    assert_eq!(
        c.get("v3/package/kit.core/1.2.0/kit.core.1.2.0.nupkg")
            .await
            .body,
        core2
    );
    let r = c
        .get("v3/package/kit.app/2.0.0-beta.1/kit.app.2.0.0-beta.1.nupkg")
        .await;
    assert_eq!(r.body, app);
    // The .nuspec, from inside the package, byte for byte.
    let r = c
        .get("v3/package/kit.app/2.0.0-beta.1/kit.app.nuspec")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8(r.body.to_vec()).unwrap(),
        nuspec("Kit.App", "2.0.0-Beta.1", deps)
    );
    // A non-normalized version in the URL finds the normalized one; missing versions are 404.
    assert_eq!(
        c.get("v3/package/kit.core/1.01.0/kit.core.1.01.0.nupkg")
            .await
            .status,
        200
    );
    for path in [
        "v3/package/kit.core/9.0.0/kit.core.9.0.0.nupkg",
        "v3/package/kit.core/9.0.0/kit.core.nuspec",
        "v3/package/kit.core/x/kit.core.x.nupkg",
        "v3/package/kit.core/1.1.0/other.1.1.0.nupkg",
    ] {
        assert_eq!(c.get(path).await.status, 404, "{path}");
    }

    // The API trio.
    assert_eq!(packages(&s).await, ["kit.app", "kit.core"]);
    let versions: Vec<String> = s
        .client
        .list_package_versions()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Nuget)
        .package("kit.core")
        .send()
        .await
        .expect("list-package-versions")
        .versions()
        .iter()
        .map(|v| v.version().to_string())
        .collect();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(sorted, ["1.1.0", "1.10.0-rc.2", "1.2.0"]);
    let d = describe(
        &s,
        "releases",
        PackageFormat::Nuget,
        None,
        "Kit.App",
        "2.0.0-Beta.1",
    )
    .await
    .expect("describe");
    assert_eq!(d.display_name(), Some("Kit.App"));
    assert_eq!(d.version(), Some("2.0.0-beta.1"));
    assert_eq!(d.status(), Some(&PackageVersionStatus::Published));
    assert_eq!(d.summary(), Some("Kit.App does things"));
    assert_eq!(d.home_page(), Some("https://acme.test/Kit.App"));
    assert_eq!(d.licenses()[0].name(), Some("MIT"));
    assert_eq!(
        asset_names(
            &s,
            "releases",
            PackageFormat::Nuget,
            None,
            "kit.core",
            "1.1.0"
        )
        .await,
        ["kit.core.1.1.0.nupkg"]
    );
    let deps = s
        .client
        .list_package_version_dependencies()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Nuget)
        .package("kit.app")
        .package_version("2.0.0-beta.1")
        .send()
        .await
        .expect("dependencies");
    let d = &deps.dependencies()[0];
    assert_eq!(
        (d.package(), d.dependency_type(), d.version_requirement()),
        (Some("kit.core"), Some(".NETStandard2.0"), Some("[1.1.0, )"))
    );
}

#[tokio::test]
async fn existing_versions_conflict_and_invalid_packages_store_nothing() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    push_ok(&c, "Kit", "1.0.0", "").await;
    // The same version, also spelled differently (normalization): 409.
    for v in ["1.0.0", "1.0", "1.0.0.0", "01.0.0+other"] {
        let r = push(&c, &nupkg("Kit", &nuspec("Kit", v, ""))).await;
        assert_eq!(r.status, 409, "{v}: {}", String::from_utf8_lossy(&r.body));
    }
    let r = push(&c, &nupkg("kit", &nuspec("kit", "1.0.0", ""))).await;
    assert_eq!(r.status, 409, "ids differing in case are one package");

    // Invalid packages: 400, nothing stored.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not a zip", b"just bytes".to_vec()),
        ("no nuspec", stored_zip(&[("lib/a.dll", b"x")])),
        (
            "nuspec not at the top",
            stored_zip(&[("lib/Bad.nuspec", nuspec("Bad", "1.0.0", "").as_bytes())]),
        ),
        ("bad version", nupkg("Bad", &nuspec("Bad", "1.0.x", ""))),
        ("bad id", nupkg("Bad", &nuspec("Bad/Id", "1.0.0", ""))),
        (
            "no version",
            nupkg(
                "Bad",
                "<package><metadata><id>Bad</id></metadata></package>",
            ),
        ),
        ("not XML", nupkg("Bad", "<package><metadata>")),
    ];
    for (why, file) in cases {
        let r = push(&c, &file).await;
        assert_eq!(r.status, 400, "{why}: {}", String::from_utf8_lossy(&r.body));
        let error: Value = r.json();
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{why}"
        );
    }
    // Not a multipart form, or a form without the package part.
    let r = c
        .request(
            Method::PUT,
            "v2/package",
            &[("content-type", "application/octet-stream")],
            b"x".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .request(
            Method::PUT,
            "v2/package",
            &[("content-type", "multipart/form-data; boundary=B")],
            b"--B\r\nContent-Disposition: form-data; name=other\r\n\r\nx\r\n--B--\r\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(packages(&s).await, ["kit"]);
    // Wrong methods.
    let r = c
        .request(Method::DELETE, "v3/index.json", &[], Vec::new())
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn registrations_inline_and_paged() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    let endpoint = format!("http://{}{}", s.addr, c.base);
    let reg = format!("{endpoint}v3/registration/");
    let index = c.get("v3/index.json").await.json();
    for t in [
        "RegistrationsBaseUrl",
        "RegistrationsBaseUrl/3.0.0-beta",
        "RegistrationsBaseUrl/3.0.0-rc",
        "RegistrationsBaseUrl/3.4.0",
        "RegistrationsBaseUrl/3.6.0",
        "RegistrationsBaseUrl/Versioned",
    ] {
        assert!(
            index["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["@type"] == t && r["@id"] == reg.as_str()),
            "{t}"
        );
    }
    assert_eq!(c.get("v3/registration/kit/index.json").await.status, 404);

    // A few versions: one page, inlined, with leaves and their catalog entries.
    let deps = r#"<group targetFramework="net8.0"><dependency id="Kit.Core" version="1.0.0" /></group><group targetFramework="net45"><dependency id="Other" /></group>"#;
    let kit = push_ok(&c, "Kit", "1.0.0", deps).await;
    push_ok(&c, "Kit", "1.0.0-rc.1", "").await;
    let r = c.get("v3/registration/Kit/index.json").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["count"], 1);
    let page = &doc["items"][0];
    assert_eq!(
        (
            page["count"].clone(),
            page["lower"].clone(),
            page["upper"].clone()
        ),
        (json!(2), json!("1.0.0-rc.1"), json!("1.0.0"))
    );
    let leaf = &page["items"][1];
    assert_eq!(leaf["@id"], format!("{reg}kit/1.0.0.json"));
    assert_eq!(
        leaf["packageContent"],
        format!("{endpoint}v3/package/kit/1.0.0/kit.1.0.0.nupkg")
    );
    let entry = &leaf["catalogEntry"];
    assert_eq!(
        (
            entry["id"].clone(),
            entry["version"].clone(),
            entry["listed"].clone()
        ),
        (json!("Kit"), json!("1.0.0"), json!(true))
    );
    assert_eq!(entry["licenseExpression"], "MIT");
    assert_eq!(entry["projectUrl"], "https://acme.test/Kit");
    // The package's hash as nuget.org gives it (what another Arca verifies a retained copy with).
    let sha512 = hex::decode(&hashes(&kit)["SHA-512"]).unwrap();
    assert_eq!(
        (&entry["packageHash"], &entry["packageHashAlgorithm"]),
        (
            &json!(base64::engine::general_purpose::STANDARD.encode(sha512)),
            &json!("SHA512")
        )
    );
    let groups = entry["dependencyGroups"].as_array().unwrap();
    let net8 = groups
        .iter()
        .find(|g| g["targetFramework"] == "net8.0")
        .unwrap();
    assert_eq!(net8["dependencies"][0]["id"], "kit.core");
    assert_eq!(net8["dependencies"][0]["range"], "1.0.0");
    assert_eq!(
        net8["dependencies"][0]["registration"],
        format!("{reg}kit.core/index.json")
    );
    let net45 = groups
        .iter()
        .find(|g| g["targetFramework"] == "net45")
        .unwrap();
    assert_eq!(net45["dependencies"][0]["range"], "(, )");
    // The inline page and the leaf can be fetched by their @id.
    let page_path = page["@id"]
        .as_str()
        .unwrap()
        .strip_prefix(&endpoint)
        .unwrap()
        .to_string();
    assert_eq!(
        c.get(&page_path).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = c.get("v3/registration/kit/1.0.0.json").await;
    assert_eq!(r.status, 200);
    let l = r.json();
    assert_eq!(
        (l["listed"].clone(), l["registration"].clone()),
        (json!(true), json!(format!("{reg}kit/index.json")))
    );
    assert_eq!(c.get("v3/registration/kit/9.0.0.json").await.status, 404);
    // Gzip only when asked (RegistrationsBaseUrl/3.4.0 and later).
    assert_eq!(
        c.get("v3/registration/kit/index.json")
            .await
            .header("content-encoding"),
        None
    );
    let r = c
        .request(
            Method::GET,
            "v3/registration/kit/index.json",
            &[("accept-encoding", "gzip, deflate")],
            Vec::new(),
        )
        .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&r.body[..]), &mut plain)
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&plain).unwrap(), doc);

    // Beyond 128 versions: pages of 64 without items, each fetched by its @id.
    for i in 0..130 {
        let v = format!("2.0.{i}");
        let r = push(&c, &nupkg("Many", &nuspec("Many", &v, ""))).await;
        assert_eq!(r.status, 201);
    }
    let doc = c.get("v3/registration/many/index.json").await.json();
    assert_eq!(doc["count"], 3);
    let pages = doc["items"].as_array().unwrap();
    let counts: Vec<u64> = pages.iter().map(|p| p["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [64, 64, 2]);
    assert!(pages.iter().all(|p| p.get("items").is_none()));
    assert_eq!(
        (pages[0]["lower"].clone(), pages[0]["upper"].clone()),
        (json!("2.0.0"), json!("2.0.63"))
    );
    assert_eq!(
        (pages[2]["lower"].clone(), pages[2]["upper"].clone()),
        (json!("2.0.128"), json!("2.0.129"))
    );
    let mut all = Vec::new();
    for p in pages {
        let path = p["@id"]
            .as_str()
            .unwrap()
            .strip_prefix(&endpoint)
            .unwrap()
            .to_string();
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{path}");
        let page = r.json();
        assert_eq!(page["parent"], format!("{reg}many/index.json"));
        for item in page["items"].as_array().unwrap() {
            all.push(
                item["catalogEntry"]["version"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    let expected: Vec<String> = (0..130).map(|i| format!("2.0.{i}")).collect();
    assert_eq!(all, expected, "every version once, in NuGet's order");
    assert_eq!(
        c.get("v3/registration/many/page/2.0.0/2.0.5.json")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn delete_unlists_and_post_relists() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    push_ok(&c, "Kit", "1.0.0", "").await;
    push_ok(&c, "Kit", "1.1.0", "").await;
    let status = |v: &'static str| {
        let s = &s;
        async move {
            describe(s, "releases", PackageFormat::Nuget, None, "kit", v)
                .await
                .expect("describe")
                .status()
                .cloned()
        }
    };
    let listed = |doc: &Value, i: usize| doc["items"][0]["items"][i]["catalogEntry"].clone();

    // `nuget delete Kit 1.0.0` (the version as the user typed it): Unlisted, still restorable.
    let r = c
        .request(Method::DELETE, "v2/package/Kit/1.0", &[], Vec::new())
        .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(status("1.0.0").await, Some(PackageVersionStatus::Unlisted));
    assert_eq!(
        c.get("v3/package/kit/index.json").await.json(),
        json!({"versions": ["1.0.0", "1.1.0"]})
    );
    assert_eq!(
        c.get("v3/package/kit/1.0.0/kit.1.0.0.nupkg").await.status,
        200
    );
    let doc = c.get("v3/registration/kit/index.json").await.json();
    assert_eq!(listed(&doc, 0)["listed"], false);
    assert_eq!(listed(&doc, 0)["published"], "1900-01-01T00:00:00+00:00");
    assert_eq!(listed(&doc, 1)["listed"], true);
    assert_eq!(
        c.get("v3/registration/kit/1.0.0.json").await.json()["listed"],
        false
    );
    // Again: still 204, nothing changes.
    let r = c
        .request(Method::DELETE, "v2/package/kit/1.0.0", &[], Vec::new())
        .await;
    assert_eq!(r.status, 204);

    // Relist.
    let r = c
        .request(Method::POST, "v2/package/kit/1.0.0", &[], Vec::new())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(status("1.0.0").await, Some(PackageVersionStatus::Published));
    let doc = c.get("v3/registration/kit/index.json").await.json();
    assert_eq!(listed(&doc, 0)["listed"], true);

    // Unknown package or version: 404. An Archived version can be neither deleted nor relisted.
    for path in [
        "v2/package/nope/1.0.0",
        "v2/package/kit/9.0.0",
        "v2/package/kit/x",
    ] {
        let r = c.request(Method::DELETE, path, &[], Vec::new()).await;
        assert_eq!(r.status, 404, "{path}");
    }
    s.client
        .update_package_versions_status()
        .domain("acme")
        .repository("releases")
        .format(PackageFormat::Nuget)
        .package("kit")
        .versions("1.1.0")
        .target_status(PackageVersionStatus::Archived)
        .send()
        .await
        .expect("archive");
    for m in [Method::DELETE, Method::POST] {
        let r = c.request(m, "v2/package/kit/1.1.0", &[], Vec::new()).await;
        assert_eq!(r.status, 400);
    }
    assert_eq!(
        c.get("v3/package/kit/index.json").await.json(),
        json!({"versions": ["1.0.0"]})
    );
    let r = c
        .request(Method::PUT, "v2/package/kit/1.0.0", &[], Vec::new())
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("DELETE, POST"));
}

#[tokio::test]
async fn search_and_autocomplete() {
    let s = setup().await;
    let c = login(&s, "releases").await;
    let endpoint = format!("http://{}{}", s.addr, c.base);
    let index = c.get("v3/index.json").await.json();
    let has = |t: &str, path: &str| {
        index["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["@type"] == t && r["@id"] == format!("{endpoint}{path}"))
    };
    assert!(has("SearchQueryService/3.5.0", "v3/search"));
    assert!(has("SearchQueryService", "v3/search"));
    assert!(has("SearchAutocompleteService", "v3/autocomplete"));

    push_ok(&c, "Kit.Core", "1.0.0", "").await;
    push_ok(&c, "Kit.Core", "1.1.0-beta", "").await;
    push_ok(&c, "Kit.App", "2.0.0", "").await;
    push_ok(&c, "Kit.Sem", "1.0.0-rc.1", "").await;
    push_ok(&c, "Other", "1.0.0", "").await;
    push_ok(&c, "Kit.Gone", "1.0.0", "").await;
    let r = c
        .request(Method::DELETE, "v2/package/kit.gone/1.0.0", &[], Vec::new())
        .await;
    assert_eq!(r.status, 204);

    let ids = |doc: &Value| -> Vec<String> {
        doc["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    // Stable releases only by default; unlisted versions are not found.
    let doc = c.get("v3/search?q=KIT").await.json();
    assert_eq!(ids(&doc), ["Kit.App", "Kit.Core"]);
    assert_eq!(doc["totalHits"], 2);
    let core = &doc["data"][1];
    assert_eq!(core["version"], "1.0.0");
    assert_eq!(
        core["versions"],
        json!([{"version": "1.0.0", "downloads": 0, "@id": format!("{endpoint}v3/registration/kit.core/1.0.0.json")}])
    );
    assert_eq!(
        core["registration"],
        format!("{endpoint}v3/registration/kit.core/index.json")
    );
    assert_eq!(core["description"], "Kit.Core does things");
    // Prereleases; SemVer 2.0 versions only with semVerLevel=2.0.0.
    let doc = c.get("v3/search?q=kit&prerelease=true").await.json();
    assert_eq!(ids(&doc), ["Kit.App", "Kit.Core"]);
    assert_eq!(doc["data"][1]["version"], "1.1.0-beta");
    let doc = c
        .get("v3/search?q=kit&prerelease=true&semVerLevel=2.0.0")
        .await
        .json();
    assert_eq!(ids(&doc), ["Kit.App", "Kit.Core", "Kit.Sem"]);
    // skip and take page the hits; totalHits counts them all.
    let doc = c.get("v3/search?q=&skip=1&take=1").await.json();
    assert_eq!(
        (ids(&doc), doc["totalHits"].clone()),
        (vec!["Kit.Core".to_string()], json!(3))
    );
    for bad in [
        "v3/search?take=x",
        "v3/search?skip=-1",
        "v3/search?prerelease=maybe",
    ] {
        assert_eq!(c.get(bad).await.status, 400, "{bad}");
    }

    let doc = c.get("v3/autocomplete?q=kit&prerelease=true").await.json();
    assert_eq!(
        doc,
        json!({"totalHits": 2, "data": ["Kit.App", "Kit.Core"]})
    );
    let doc = c
        .get("v3/autocomplete?id=kit.core&prerelease=true")
        .await
        .json();
    assert_eq!(
        doc,
        json!({"totalHits": 2, "data": ["1.0.0", "1.1.0-beta"]})
    );
    let doc = c.get("v3/autocomplete?id=nothing").await.json();
    assert_eq!(doc, json!({"totalHits": 0, "data": []}));
}
