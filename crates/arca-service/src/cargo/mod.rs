//! Cargo: a sparse registry. Crate names and versions, the publish rule (`cargo publish`: the
//! publish JSON checked against the crate's own `Cargo.toml`), the index files rendered from what
//! is stored, downloads, yank/unyank and search. The wire shapes (URLs, the length-prefixed
//! publish body, `{"errors":[…]}`) are the native API crate's; `index` holds the pure format bits.
//!
//! Decisions (README, "Cargo"):
//! - A crate is stored under its lowercased name (cargo's index paths are lowercase), with the name
//!   as published as its display name; a name that differs from a stored one only in case or in
//!   `-` versus `_` is refused (cargo's uniqueness rule).
//! - One asset per version, `{name}-{version}.crate`; versions are unique ignoring build metadata.
//! - `cargo yank` sets the version Unlisted, `--undo` Published again: the index lists Published
//!   versions with `yanked: false` and Unlisted ones with `yanked: true`, and both download
//!   (lockfiles keep working); Archived, Disposed and Unfinished versions are not in the index.
//! - Through upstreams (`upstream.rs`), index files are the union over the search order, local
//!   versions first; a source's lines pass through byte for byte.

pub mod index;
pub(crate) mod manifest;
mod publish;
mod read;
pub(crate) mod upstream;

use arca_metadata::{PackageFormat, PackageKey};

pub use index::{check_name, index_path, name_of_index_path};
pub use publish::CargoPublished;
pub use read::{CargoIndexFile, CargoSearch, CargoSearchHit};

/// The one asset of a version.
pub fn asset_name(name: &str, version: &str) -> String {
    format!("{name}-{version}.crate")
}

/// The key a crate is stored under.
pub(crate) fn key(name: &str) -> PackageKey {
    PackageKey {
        format: PackageFormat::Cargo,
        namespace: String::new(),
        name: name.to_ascii_lowercase(),
    }
}
