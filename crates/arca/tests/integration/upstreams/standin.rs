//! A stand-in public npm registry on 127.0.0.1 for the upstream tests: full packuments (with
//! `time`, `dist.integrity` and `dist.shasum`, tarball URLs on itself) with an ETag, tarballs, a
//! count of the requests it got, and switches to go down or to serve tampered tarballs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use crate::common::npm::{integrity, manifest, shasum, tarball};

/// Version → (package.json, tarball, publish time RFC 3339).
type Versions = BTreeMap<String, (Value, Vec<u8>, String)>;

#[derive(Default)]
struct Registry {
    /// Package name → its versions.
    packages: Mutex<BTreeMap<String, Versions>>,
    /// Paths requested, in order.
    requests: Mutex<Vec<String>>,
    down: AtomicBool,
    tamper: AtomicBool,
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

    pub fn set_down(&self, down: bool) {
        self.registry.down.store(down, Ordering::SeqCst);
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
                Response::new(Body::from(bytes))
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
