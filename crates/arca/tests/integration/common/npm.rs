//! A minimal npm client for the native endpoint: tarballs and publish documents built the way
//! npm builds them, and plain HTTP requests carrying the authorization token.

use base64::Engine;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha512};

use super::{send_http1, send_http1_head, send_http1_partial, RawResponse, TestServer};

/// A gzip tarball with `package/package.json` (the manifest) and `package/index.js`.
pub fn tarball(manifest: &Value) -> Vec<u8> {
    tarball_with(manifest, &[])
}

/// [`tarball`] with more files after the manifest.
pub fn tarball_with(manifest: &Value, more: &[(&str, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("package/package.json", manifest.to_string().into_bytes()),
        ("package/index.js", b"module.exports = 42;\n".to_vec()),
    ];
    files.extend(more.iter().map(|(p, d)| (*p, d.as_bytes().to_vec())));
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, &data[..]).expect("tar entry");
    }
    b.into_inner().expect("tar").finish().expect("gzip")
}

pub fn integrity(data: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(data))
    )
}

pub fn shasum(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

/// A package.json.
pub fn manifest(name: &str, version: &str, extra: Value) -> Value {
    let mut m = json!({"name": name, "version": version, "main": "index.js"});
    if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
        m.extend(extra);
    }
    m
}

/// The document `npm publish` sends, with `dist` describing `tgz`.
pub fn publish_doc(manifest: &Value, tgz: &[u8]) -> Value {
    let name = manifest["name"].as_str().expect("name");
    let version = manifest["version"].as_str().expect("version");
    let file = format!("{}-{version}.tgz", name.rsplit('/').next().unwrap_or(name));
    let mut v = manifest.clone();
    v["_id"] = json!(format!("{name}@{version}"));
    v["dist"] = json!({"integrity": integrity(tgz), "shasum": shasum(tgz), "tarball": format!("http://x/{name}/-/{file}")});
    json!({
        "_id": name,
        "name": name,
        "description": manifest.get("description"),
        "dist-tags": {"latest": version},
        "versions": {version: v},
        "access": null,
        "_attachments": {file: {
            "content_type": "application/octet-stream",
            "data": base64::engine::general_purpose::STANDARD.encode(tgz),
            "length": tgz.len(),
        }},
    })
}

/// npm talking to one repository of a test server.
pub struct Npm<'a> {
    pub server: &'a TestServer,
    /// `/npm/d/{domain}-{owner}/{repo}/`
    pub base: String,
    pub authorization: Option<String>,
}

impl<'a> Npm<'a> {
    /// Logs in like `aws codeartifact login --tool npm`: a token for the domain, Bearer auth.
    pub async fn login(server: &'a TestServer, domain: &str, repo: &str) -> Self {
        let t = server
            .client
            .get_authorization_token()
            .domain(domain)
            .send()
            .await
            .expect("get-authorization-token");
        let token = t.authorization_token().expect("token");
        Self {
            server,
            base: format!("/npm/d/{domain}-{}/{repo}/", server.account()),
            authorization: Some(format!("Bearer {token}")),
        }
    }

    fn headers(&self, headers: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            HeaderValue::from_str(&self.server.addr.to_string()).unwrap(),
        );
        if let Some(a) = &self.authorization {
            h.insert("authorization", HeaderValue::from_str(a).unwrap());
        }
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> RawResponse {
        let uri = format!("{}{path}", self.base);
        send_http1(self.server.addr, method, &uri, self.headers(headers), body).await
    }

    /// A GET whose body may fail before its end (`cut_off`).
    pub async fn get_partial(&self, path: &str) -> RawResponse {
        let uri = format!("{}{path}", self.base);
        let h = self.headers(&[]);
        send_http1_partial(self.server.addr, Method::GET, &uri, h, Vec::new()).await
    }

    /// A GET answered as soon as its head arrives ([`send_http1_head`]).
    pub async fn get_head(&self, path: &str) -> http::Response<hyper::body::Incoming> {
        let uri = format!("{}{path}", self.base);
        let h = self.headers(&[]);
        send_http1_head(self.server.addr, Method::GET, &uri, h, Vec::new()).await
    }

    pub async fn get(&self, path: &str) -> RawResponse {
        self.request(Method::GET, path, &[], Vec::new()).await
    }

    pub async fn publish(&self, doc: &Value) -> RawResponse {
        let name = doc["name"].as_str().expect("name").replace('/', "%2f");
        self.request(
            Method::PUT,
            &name,
            &[("content-type", "application/json")],
            doc.to_string().into_bytes(),
        )
        .await
    }

    /// Publishes a package with `extra` package.json fields; must succeed. Returns the tarball.
    pub async fn publish_ok(&self, name: &str, version: &str, extra: Value) -> Vec<u8> {
        let m = manifest(name, version, extra);
        let tgz = tarball(&m);
        let r = self.publish(&publish_doc(&m, &tgz)).await;
        assert_eq!(
            r.status,
            200,
            "publish {name}@{version}: {}",
            String::from_utf8_lossy(&r.body)
        );
        tgz
    }
}
