//! Integration tests: the real server on port 0, driven by the official `aws-sdk-codeartifact`
//! client (and a raw, self-signed HTTP client where the SDK would refuse to send a request).
//!
//! One module per area of the API; every test starts its own server with its own data directory.

mod common;

mod audit;
mod auth;
mod cargo;
mod connections;
mod copy;
mod credentials;
mod details;
mod documents;
mod domains;
mod gc;
mod groups;
mod hardening;
mod large_asset;
mod lifecycle;
mod maven;
mod metrics;
mod npm;
mod npm_revisions;
mod npm_tarballs;
mod nuget;
mod package_versions;
mod packages;
mod paging;
mod permissions;
mod publish;
mod pypi;
mod repositories;
mod request_conditions;
mod ruby;
mod s3;
mod swift;
mod tag_conditions;
mod tags;
mod throttling;
mod timeouts;
mod tokens;
mod ui;
mod upstreams;
mod validation;
