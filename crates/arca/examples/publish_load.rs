//! The bench's publish load: N concurrent publishers, each on its own keep-alive HTTP/1.1
//! connection, sending signed PublishPackageVersion requests of small generic assets for a fixed
//! time. Written in Rust so the client costs far less CPU than the server it measures (the old
//! 8 botocore processes took about half of a 2-core machine).
//!
//! Usage: publish_load --url URL [--url URL…] [--publishers N] [--seconds S] [--size BYTES]
//!                     [--domain D] [--repository R] [--namespace NS]
//! Credentials: ARCA_ACCESS_KEY_ID, ARCA_SECRET_ACCESS_KEY. Publisher `i` uses the `i % urls`-th URL
//! (so several replicas share the load), package `p{i}` and versions `1.0.0`, `1.0.1`, …; every
//! asset's bytes differ (no deduplication). Prints one JSON line: versions, errors, seconds,
//! per_second, p50_ms, p99_ms and the first error seen.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

struct Args {
    urls: Vec<String>,
    publishers: usize,
    seconds: f64,
    size: usize,
    domain: String,
    repository: String,
    namespace: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        urls: Vec::new(),
        publishers: 8,
        seconds: 10.0,
        size: 1024,
        domain: "bench".into(),
        repository: "repo".into(),
        namespace: "load".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--url" => args.urls.push(value.trim_end_matches('/').to_owned()),
            "--publishers" => args.publishers = number(&value)? as usize,
            "--seconds" => args.seconds = number(&value)?,
            "--size" => args.size = number(&value)? as usize,
            "--domain" => args.domain = value,
            "--repository" => args.repository = value,
            "--namespace" => args.namespace = value,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if args.urls.is_empty() || args.publishers == 0 || args.size < 8 {
        return Err("need --url, --publishers >= 1 and --size >= 8".into());
    }
    Ok(args)
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

type Sender = http1::SendRequest<Full<Bytes>>;

async fn connect(url: &str) -> Result<Sender, String> {
    let authority = url.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One signed publish of `body`; Ok(()) on 200, else the status and the start of the answer.
async fn publish(
    sender: &mut Sender,
    url: &str,
    path: &str,
    body: Bytes,
    key: &str,
    secret: &str,
) -> Result<(), String> {
    let uri: Uri = format!("{url}{path}").parse().map_err(|e| format!("{e}"))?;
    let sha = arca_sigv4::sha256_hex(&body);
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-content-sha256", HeaderValue::from_str(&sha).unwrap());
    let auth = arca_sigv4::sign(
        &Method::POST,
        &uri,
        &mut headers,
        key,
        secret,
        "us-east-1",
        "codeartifact",
        &sha,
        time::OffsetDateTime::now_utc(),
    );
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    let mut request = Request::post(path).body(Full::new(body)).unwrap();
    *request.headers_mut() = headers;
    sender
        .ready()
        .await
        .map_err(|e| format!("connection: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status();
    let answer = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("response body: {e}"))?
        .to_bytes();
    if status.is_success() {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&answer[..answer.len().min(300)]).into_owned();
        Err(format!("HTTP {status}: {text}"))
    }
}

async fn publisher(worker: usize, args: std::sync::Arc<Args>, end: Instant) -> Outcome {
    let key = std::env::var("ARCA_ACCESS_KEY_ID").unwrap_or_default();
    let secret = std::env::var("ARCA_SECRET_ACCESS_KEY").unwrap_or_default();
    let url = &args.urls[worker % args.urls.len()];
    let mut outcome = Outcome {
        latencies: Vec::new(),
        errors: 0,
        first_error: None,
    };
    let mut sender = None;
    let mut content = vec![0x5a_u8; args.size];
    let mut n = 0u64;
    while Instant::now() < end {
        // Distinct bytes per version (worker and counter up front): every publish stores a new blob.
        content[..8].copy_from_slice(&((worker as u64) << 40 | n).to_be_bytes());
        let path = format!(
            "/v1/package/version/publish?domain={}&repository={}&format=generic&namespace={}\
             &package=p{worker}&version=1.0.{n}&asset=a.bin",
            args.domain, args.repository, args.namespace
        );
        n += 1;
        let started = Instant::now();
        let result = match &mut sender {
            Some(s) => publish(s, url, &path, Bytes::from(content.clone()), &key, &secret).await,
            None => match connect(url).await {
                Ok(s) => {
                    let s = sender.insert(s);
                    publish(s, url, &path, Bytes::from(content.clone()), &key, &secret).await
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) => outcome.latencies.push(started.elapsed()),
            Err(e) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(e);
                sender = None; // a fresh connection after any failure
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    outcome
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => std::sync::Arc::new(a),
        Err(e) => {
            eprintln!("publish_load: {e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(args.seconds);
    let tasks: Vec<_> = (0..args.publishers)
        .map(|w| tokio::spawn(publisher(w, args.clone(), end)))
        .collect();
    let mut latencies = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    for task in tasks {
        let outcome = task.await.expect("publisher task");
        latencies.extend(outcome.latencies);
        errors += outcome.errors;
        first_error = first_error.or(outcome.first_error);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{}",
        serde_json::json!({
            "versions": latencies.len(),
            "errors": errors,
            "seconds": seconds,
            "per_second": latencies.len() as f64 / seconds,
            "p50_ms": percentile(0.5),
            "p99_ms": percentile(0.99),
            "first_error": first_error,
        })
    );
}
