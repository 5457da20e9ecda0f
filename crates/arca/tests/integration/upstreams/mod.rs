//! Upstreams and external connections: the API operations, then native reads through upstream
//! repositories and a stand-in public registry on 127.0.0.1 (`standin.rs`), per format.

mod cargo;
mod connections;
mod groups;
mod maven;
mod npm;
mod nuget;
mod purge;
mod pypi;
mod ruby;
pub(crate) mod standin;
