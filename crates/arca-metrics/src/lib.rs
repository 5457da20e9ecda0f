//! Arca's Prometheus metrics: one [`Metrics`] per server (so tests running several servers in one
//! process count separately), shared by every layer through `Service::metrics`, and encoded in the
//! OpenMetrics text format for `GET /metrics`.
//!
//! Built on `prometheus-client` (the Prometheus project's own Rust client): label sets are plain
//! structs of `&'static str` and integers, so recording a request hashes a few words, takes a read
//! lock and adds to atomics — no label string is allocated on the hot path. Only the external
//! connection's name (operator text, on the upstream path) is an owned string.
//!
//! Invariant: nothing here knows SQL or a protocol; callers pass what they measured (`http` only
//! reads the sizes and method of a message, for the wire crates).

pub mod http;

use std::fmt::Write as _;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which front door a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The CodeArtifact API (SigV4).
    Api,
    /// A package manager's native endpoint (token).
    Native,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Native => "native",
        }
    }
}

/// One answered request, as the wire layer saw it.
#[derive(Debug, Clone, Copy)]
pub struct RequestSample {
    pub protocol: Protocol,
    /// The API operation's name, or the native request's method (`GET`, `PUT`, …).
    pub operation: &'static str,
    /// The package format (`npm`, …), `""` when the request names none.
    pub format: &'static str,
    pub status: u16,
    pub duration: Duration,
    /// Request body bytes, when the request declared them (`Content-Length`).
    pub bytes_in: u64,
    /// Response body bytes, when known before sending (`Content-Length` or an exact size).
    pub bytes_out: u64,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    protocol: &'static str,
    operation: &'static str,
    format: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    protocol: &'static str,
    operation: &'static str,
    format: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProtocolLabel {
    protocol: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PublishLabels {
    format: &'static str,
    origin: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabel {
    connection: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    connection: String,
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: &'static str,
}

/// What an external source's request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchKind {
    /// A package's index (packument, project page, …).
    Index,
    /// A file to keep (tarball, wheel, jar, …).
    File,
    /// A small document read on the way (PEP 658 metadata, …).
    Metadata,
}

impl FetchKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::File => "file",
            Self::Metadata => "metadata",
        }
    }
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Seconds, from 0.5 ms to about 33 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 17))
}

/// Seconds, from 50 µs to about 3.3 s (store calls are short).
fn store_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.00005, 2.0, 17))
}

/// Publishes per group commit: 1, 2, 4 … 512.
fn batch_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 10))
}

/// Every metric of one server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<LatencyLabels>,
    bytes_in: Family<ProtocolLabel, Counter>,
    bytes_out: Family<ProtocolLabel, Counter>,
    publishes: Family<PublishLabels, Counter>,
    upstream_cache_hits: Family<ConnectionLabel, Counter>,
    upstream_cache_misses: Family<ConnectionLabel, Counter>,
    upstream_fetches: Family<FetchLabels, Counter>,
    upstream_stale: Family<ConnectionLabel, Counter>,
    upstream_errors: Family<FetchLabels, Counter>,
    store_duration: HistogramFamily<MethodLabel>,
    gc_runs: Counter,
    gc_freed_blobs: Counter,
    gc_freed_orphans: Counter,
    gc_duration: Histogram,
    group_commits: Counter,
    group_commit_publishes: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of metrics (all zero), registered under the `arca_` prefix.
    pub fn new() -> Self {
        let m = Self {
            registry: Registry::with_prefix("arca"),
            requests: Family::default(),
            request_duration: Family::new_with_constructor(latency_histogram),
            bytes_in: Family::default(),
            bytes_out: Family::default(),
            publishes: Family::default(),
            upstream_cache_hits: Family::default(),
            upstream_cache_misses: Family::default(),
            upstream_fetches: Family::default(),
            upstream_stale: Family::default(),
            upstream_errors: Family::default(),
            store_duration: Family::new_with_constructor(store_histogram),
            gc_runs: Counter::default(),
            gc_freed_blobs: Counter::default(),
            gc_freed_orphans: Counter::default(),
            gc_duration: latency_histogram(),
            group_commits: Counter::default(),
            group_commit_publishes: batch_histogram(),
        };
        m.register()
    }

    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "requests",
            "Requests answered, by protocol, operation (API operation or native method), format and status",
            self.requests.clone(),
        );
        r.register_with_unit(
            "request_duration",
            "Time to answer a request (until the response starts)",
            Unit::Seconds,
            self.request_duration.clone(),
        );
        r.register_with_unit(
            "request",
            "Request body bytes received (as declared by Content-Length)",
            Unit::Bytes,
            self.bytes_in.clone(),
        );
        r.register_with_unit(
            "response",
            "Response body bytes sent (of responses whose length is known up front)",
            Unit::Bytes,
            self.bytes_out.clone(),
        );
        r.register(
            "publishes",
            "Publish writes (a version or one more asset), by format and origin (internal: published to Arca; external: kept from an upstream source)",
            self.publishes.clone(),
        );
        r.register(
            "upstream_cache_hits",
            "External indexes answered from the cache within their TTL, by connection",
            self.upstream_cache_hits.clone(),
        );
        r.register(
            "upstream_cache_misses",
            "External indexes not in the cache or expired (then fetched), by connection",
            self.upstream_cache_misses.clone(),
        );
        r.register(
            "upstream_fetches",
            "Requests to external sources, by connection and kind (index, file, metadata)",
            self.upstream_fetches.clone(),
        );
        r.register(
            "upstream_stale",
            "Answers built from a stale index because the source failed, by connection",
            self.upstream_stale.clone(),
        );
        r.register(
            "upstream_errors",
            "Failed requests to external sources, by connection and kind",
            self.upstream_errors.clone(),
        );
        r.register_with_unit(
            "store_call_duration",
            "Time of metadata store calls, by method",
            Unit::Seconds,
            self.store_duration.clone(),
        );
        r.register("gc_runs", "Garbage collections run", self.gc_runs.clone());
        r.register(
            "gc_freed_blobs",
            "Unreferenced blobs freed by garbage collection",
            self.gc_freed_blobs.clone(),
        );
        r.register(
            "gc_freed_orphans",
            "Objects without a blob row freed by garbage collection",
            self.gc_freed_orphans.clone(),
        );
        r.register_with_unit(
            "gc_duration",
            "Time of a garbage collection",
            Unit::Seconds,
            self.gc_duration.clone(),
        );
        r.register(
            "group_commits",
            "Group-committed write transactions of the SQLite store",
            self.group_commits.clone(),
        );
        r.register(
            "group_commit_publishes",
            "Publishes sharing one group commit",
            self.group_commit_publishes.clone(),
        );
        self
    }

    /// Records one answered request.
    pub fn request(&self, s: &RequestSample) {
        let protocol = s.protocol.as_str();
        self.requests
            .get_or_create(&RequestLabels {
                protocol,
                operation: s.operation,
                format: s.format,
                status: s.status,
            })
            .inc();
        self.request_duration
            .get_or_create(&LatencyLabels {
                protocol,
                operation: s.operation,
                format: s.format,
            })
            .observe(s.duration.as_secs_f64());
        let p = ProtocolLabel { protocol };
        if s.bytes_in > 0 {
            self.bytes_in.get_or_create(&p).inc_by(s.bytes_in);
        }
        if s.bytes_out > 0 {
            self.bytes_out.get_or_create(&p).inc_by(s.bytes_out);
        }
    }

    /// A publish of `format` was written; `external` when it keeps a file fetched from a source.
    pub fn publish(&self, format: &'static str, external: bool) {
        let origin = if external { "external" } else { "internal" };
        self.publishes
            .get_or_create(&PublishLabels { format, origin })
            .inc();
    }

    fn connection(name: &str) -> ConnectionLabel {
        ConnectionLabel {
            connection: name.to_string(),
        }
    }

    /// An external index was answered from the cache (`hit`) or had to be fetched.
    pub fn upstream_cache(&self, connection: &str, hit: bool) {
        let family = if hit {
            &self.upstream_cache_hits
        } else {
            &self.upstream_cache_misses
        };
        family.get_or_create(&Self::connection(connection)).inc();
    }

    /// A request went to an external source; `ok` is false when it failed (no answer, 5xx, …).
    pub fn upstream_fetch(&self, connection: &str, kind: FetchKind, ok: bool) {
        let labels = FetchLabels {
            connection: connection.to_string(),
            kind: kind.as_str(),
        };
        self.upstream_fetches.get_or_create(&labels).inc();
        if !ok {
            self.upstream_errors.get_or_create(&labels).inc();
        }
    }

    /// An answer was built from a stale index of `connection`.
    pub fn upstream_stale(&self, connection: &str) {
        self.upstream_stale
            .get_or_create(&Self::connection(connection))
            .inc();
    }

    /// One metadata store call took `elapsed`.
    pub fn store_call(&self, method: &'static str, elapsed: Duration) {
        self.store_duration
            .get_or_create(&MethodLabel { method })
            .observe(elapsed.as_secs_f64());
    }

    /// A garbage collection finished.
    pub fn gc(&self, freed_blobs: u64, freed_orphans: u64, elapsed: Duration) {
        self.gc_runs.inc();
        self.gc_freed_blobs.inc_by(freed_blobs);
        self.gc_freed_orphans.inc_by(freed_orphans);
        self.gc_duration.observe(elapsed.as_secs_f64());
    }

    /// A group commit wrote `publishes` publishes in one transaction.
    pub fn group_commit(&self, publishes: usize) {
        self.group_commits.inc();
        self.group_commit_publishes.observe(publishes as f64);
    }

    /// Every metric in the OpenMetrics text format (ending with `# EOF`).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing into a String cannot fail; keep the scrape well-formed regardless.
            out.clear();
            let _ = writeln!(out, "# EOF");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_their_labels() {
        let m = Metrics::new();
        let sample = RequestSample {
            protocol: Protocol::Native,
            operation: "GET",
            format: "npm",
            status: 200,
            duration: Duration::from_millis(3),
            bytes_in: 0,
            bytes_out: 10,
        };
        m.request(&sample);
        m.request(&sample);
        m.request(&RequestSample {
            status: 404,
            ..sample
        });
        let text = m.encode();
        assert!(
            text.contains(
                r#"arca_requests_total{protocol="native",operation="GET",format="npm",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"status="404"} 1"#), "{text}");
        assert!(
            text.contains(r#"arca_response_bytes_total{protocol="native"} 30"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn a_failed_fetch_is_a_fetch_and_an_error() {
        let m = Metrics::new();
        m.upstream_fetch("public:npmjs", FetchKind::File, false);
        m.upstream_fetch("public:npmjs", FetchKind::File, true);
        let text = m.encode();
        assert!(
            text.contains(
                r#"arca_upstream_fetches_total{connection="public:npmjs",kind="file"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"arca_upstream_errors_total{connection="public:npmjs",kind="file"} 1"#),
            "{text}"
        );
    }
}
