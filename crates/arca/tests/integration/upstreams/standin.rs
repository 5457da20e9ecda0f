//! A stand-in public registry on 127.0.0.1 for the upstream tests: npm full packuments (with
//! `time`, `dist.integrity` and `dist.shasum`, tarball URLs on itself) with an ETag, tarballs, a
//! count of the requests it got, and switches to go down or to serve tampered files. Other formats
//! put static paths in it (`put_document`, with an ETag; `put_file`, tampered on demand), which are
//! answered before the npm routes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Response, StatusCode};
use futures::StreamExt;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use crate::common::npm::{integrity, manifest, shasum, tarball};

/// Version → (package.json, tarball, publish time RFC 3339).
type Versions = BTreeMap<String, (Value, Vec<u8>, String)>;

/// A static path: a document (ETag, revalidated) or a file (tampered on demand).
struct Static {
    body: Vec<u8>,
    content_type: String,
    file: bool,
}

#[derive(Default)]
struct Registry {
    /// Package name → its versions.
    packages: Mutex<BTreeMap<String, Versions>>,
    /// Path → what it answers.
    statics: Mutex<BTreeMap<String, Static>>,
    /// Paths requested, in order.
    requests: Mutex<Vec<String>>,
    down: AtomicBool,
    tamper: AtomicBool,
    /// Files are sent in two halves, the second only once this is unset.
    hold: AtomicBool,
    released: tokio::sync::Notify,
}

pub struct StandIn {
    pub url: String,
    registry: Arc<Registry>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl StandIn {
    pub async fn start() -> Self {
        let registry = Arc::new(Registry::default());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(serve)
            .with_state((registry.clone(), url.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        StandIn {
            url,
            registry,
            _shutdown: tx,
        }
    }

    /// Adds a version (its tarball holds `package.json` with `extra`), published at `time`.
    pub fn add(&self, name: &str, version: &str, extra: Value, time: &str) -> Vec<u8> {
        let m = manifest(name, version, extra);
        let tgz = tarball(&m);
        self.registry
            .packages
            .lock()
            .unwrap()
            .entry(name.to_string())
            .or_default()
            .insert(version.to_string(), (m, tgz.clone(), time.to_string()));
        tgz
    }

    /// Answers `path` (as requested, e.g. `/simple/kit/`) with `body`, with an ETag.
    pub fn put_document(&self, path: &str, body: Vec<u8>, content_type: &str) {
        self.put(path, body, content_type, false);
    }

    /// Answers `path` with `body`, whose last byte flips while tampering.
    pub fn put_file(&self, path: &str, body: Vec<u8>) {
        self.put(path, body, "application/octet-stream", true);
    }

    fn put(&self, path: &str, body: Vec<u8>, content_type: &str, file: bool) {
        self.registry.statics.lock().unwrap().insert(
            path.to_string(),
            Static {
                body,
                content_type: content_type.to_string(),
                file,
            },
        );
    }

    pub fn set_down(&self, down: bool) {
        self.registry.down.store(down, Ordering::SeqCst);
    }

    /// While set, files stop after their first half (and go on once it is unset).
    pub fn hold_files(&self, hold: bool) {
        self.registry.hold.store(hold, Ordering::SeqCst);
        if !hold {
            self.registry.released.notify_waiters();
        }
    }

    pub fn set_tamper(&self, tamper: bool) {
        self.registry.tamper.store(tamper, Ordering::SeqCst);
    }

    /// How many requests asked for a path ending with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        let requests = self.registry.requests.lock().unwrap();
        requests.iter().filter(|p| p.ends_with(suffix)).count()
    }
}

/// A file's answer: whole, or (while files are held) its first half, then the rest once released.
fn file_answer(registry: &Arc<Registry>, bytes: Vec<u8>) -> Response<Body> {
    if !registry.hold.load(Ordering::SeqCst) {
        return Response::new(Body::from(bytes));
    }
    let mut first = bytes;
    let rest = first.split_off(first.len() / 2);
    let registry = registry.clone();
    let rest = futures::stream::once(async move {
        loop {
            let released = registry.released.notified();
            if !registry.hold.load(Ordering::SeqCst) {
                break;
            }
            released.await;
        }
        Ok::<_, std::io::Error>(bytes::Bytes::from(rest))
    });
    let first = futures::stream::iter([Ok(bytes::Bytes::from(first))]);
    Response::new(Body::from_stream(first.chain(rest)))
}

fn status(code: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = code;
    r
}

async fn serve(
    State((registry, url)): State<(Arc<Registry>, String)>,
    req: Request,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    registry.requests.lock().unwrap().push(path.clone());
    if registry.down.load(Ordering::SeqCst) {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    }
    if let Some(st) = registry.statics.lock().unwrap().get(&path) {
        let mut body = st.body.clone();
        if st.file {
            if registry.tamper.load(Ordering::SeqCst) && !body.is_empty() {
                let last = body.len() - 1;
                body[last] ^= 0xff;
            }
            return file_answer(&registry, body);
        }
        let etag = format!("\"{}\"", shasum(&body));
        if req
            .headers()
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == etag.as_bytes())
        {
            return status(StatusCode::NOT_MODIFIED);
        }
        let mut r = Response::new(Body::from(body));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, st.content_type.parse().unwrap());
        r.headers_mut().insert(header::ETAG, etag.parse().unwrap());
        return r;
    }
    let decoded = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8_lossy()
        .to_string();
    let packages = registry.packages.lock().unwrap();
    if let Some((name, file)) = decoded.split_once("/-/") {
        let Some(versions) = packages.get(name) else {
            return status(StatusCode::NOT_FOUND);
        };
        let short = name.rsplit('/').next().unwrap_or(name);
        let found = versions
            .iter()
            .find(|(v, _)| format!("{short}-{v}.tgz") == file);
        return match found {
            Some((_, (_, tgz, _))) => {
                let mut bytes = tgz.clone();
                if registry.tamper.load(Ordering::SeqCst) {
                    let last = bytes.len() - 1;
                    bytes[last] ^= 0xff;
                }
                file_answer(&registry, bytes)
            }
            None => status(StatusCode::NOT_FOUND),
        };
    }
    let Some(versions) = packages.get(&decoded) else {
        return status(StatusCode::NOT_FOUND);
    };
    let short = decoded.rsplit('/').next().unwrap_or(&decoded);
    let mut vs = Map::new();
    let mut times = Map::new();
    for (v, (m, tgz, t)) in versions {
        let mut m = m.clone();
        m["dist"] = json!({
            "tarball": format!("{url}{decoded}/-/{short}-{v}.tgz"),
            "shasum": shasum(tgz),
            "integrity": integrity(tgz),
        });
        vs.insert(v.clone(), m);
        times.insert(v.clone(), t.clone().into());
    }
    let latest = versions.keys().last().cloned().unwrap_or_default();
    let body = json!({
        "name": decoded,
        "dist-tags": {"latest": latest},
        "versions": vs,
        "time": times,
    })
    .to_string();
    let etag = format!("\"{}\"", shasum(body.as_bytes()));
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return status(StatusCode::NOT_MODIFIED);
    }
    let mut r = Response::new(Body::from(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    r.headers_mut().insert(header::ETAG, etag.parse().unwrap());
    r
}

/// A server whose external connection `connection` is `url` (indexes fresh for `ttl`), and the
/// chain `app → team → store(connection)` in domain `acme`.
pub async fn chain(
    url: &str,
    connection: &str,
    ttl: std::time::Duration,
) -> crate::common::TestServer {
    chain_with(url, connection, move |source| {
        source.metadata_ttl = Some(ttl)
    })
    .await
}

/// [`chain`], with the source as `configure` sets it.
pub async fn chain_with(
    url: &str,
    connection: &str,
    configure: impl FnOnce(&mut arca_service::upstream::connections::ExternalSource) + Send + 'static,
) -> crate::common::TestServer {
    use arca_service::upstream::connections::ExternalSource;
    let (url, name) = (url.to_string(), connection.to_string());
    let s = crate::common::TestServer::start_with(move |c| {
        let mut source = ExternalSource::new(&url).unwrap();
        source.timeout = std::time::Duration::from_secs(5);
        configure(&mut source);
        c.external_connections.insert(name, source);
    })
    .await;
    s.create_domain("acme").await;
    s.create_repo("acme", "store").await;
    s.client
        .associate_external_connection()
        .domain("acme")
        .repository("store")
        .external_connection(connection)
        .send()
        .await
        .unwrap();
    for (repo, upstream) in [("team", "store"), ("app", "team")] {
        s.client
            .create_repository()
            .domain("acme")
            .repository(repo)
            .upstreams(
                aws_sdk_codeartifact::types::UpstreamRepository::builder()
                    .repository_name(upstream)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    s
}

/// DescribePackageVersion, `None` when the repository does not have the version.
pub async fn describe(
    s: &crate::common::TestServer,
    repo: &str,
    format: aws_sdk_codeartifact::types::PackageFormat,
    namespace: Option<&str>,
    package: &str,
    version: &str,
) -> Option<aws_sdk_codeartifact::types::PackageVersionDescription> {
    s.client
        .describe_package_version()
        .domain("acme")
        .repository(repo)
        .format(format)
        .set_namespace(namespace.map(str::to_string))
        .package(package)
        .package_version(version)
        .send()
        .await
        .ok()
        .and_then(|o| o.package_version)
}

/// ListPackageVersionAssets: the file names (empty when the version is not there).
pub async fn asset_names(
    s: &crate::common::TestServer,
    repo: &str,
    format: aws_sdk_codeartifact::types::PackageFormat,
    namespace: Option<&str>,
    package: &str,
    version: &str,
) -> Vec<String> {
    s.client
        .list_package_version_assets()
        .domain("acme")
        .repository(repo)
        .format(format)
        .set_namespace(namespace.map(str::to_string))
        .package(package)
        .package_version(version)
        .send()
        .await
        .map(|o| o.assets().iter().map(|a| a.name().to_string()).collect())
        .unwrap_or_default()
}

/// Asserts the version in `repo` was ingested through `connection`.
pub fn assert_external(
    d: &aws_sdk_codeartifact::types::PackageVersionDescription,
    connection: &str,
) {
    use aws_sdk_codeartifact::types::PackageVersionOriginType;
    let origin = d.origin().expect("origin");
    assert_eq!(
        origin.origin_type(),
        Some(&PackageVersionOriginType::External)
    );
    assert_eq!(
        origin
            .domain_entry_point()
            .and_then(|e| e.external_connection_name()),
        Some(connection)
    );
}

/// A file refused at the end of its fetch (digest mismatch) never arrives complete-looking (`len`
/// is the file's full length): a 200 whose body is cut off before its end, or — when it was
/// refused before its first byte went out, as a small file may be — the connection closed before
/// any head.
pub fn assert_cut_off(r: &crate::common::RawResponse, len: usize) {
    assert!(
        r.status == 200 || r.status == 0,
        "the fetch had started streaming: {}",
        r.status
    );
    assert!(r.cut_off.is_some(), "a refused file must not end normally");
    assert!(r.body.len() < len, "a refused file must not arrive whole");
}
