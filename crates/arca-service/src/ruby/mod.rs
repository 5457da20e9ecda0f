//! RubyGems: `gem push`, the reads `gem` and Bundler choose between (the compact index, the
//! dependency API, the full index, `quick/Marshal.4.8` specifications, `gems/` downloads) and
//! `gem yank`. The wire shapes (URLs, Range and ETag, form bodies) are the native API crate's;
//! `index` holds the pure formats, `marshal` Ruby's Marshal encoder/decoder and `gemspec` the
//! bounded read of a `.gem`'s specification.
//!
//! Decisions (README, "RubyGems"):
//! - A gem is stored under its name as pushed (RubyGems names are case-sensitive), no namespace;
//!   each platform of a version is one asset `{name}-{version}[-{platform}].gem` of the same
//!   package version. The version's metadata and dependencies come from the first gem pushed.
//! - The same name, version and platform again is a 409; a new platform of a Published or
//!   Unlisted version is added to it.
//! - `gem yank` sets the version Unlisted (every platform of it): it leaves `info`, the dependency
//!   API and the full index, `versions` marks it `-`, and its files still download (lockfiles keep
//!   working). Archived, Disposed and Unfinished versions are in no index and do not download.
//! - Every index is rendered from the stored gems' own specifications (cached by digest), so it
//!   says what the gem declares.
//! - Through upstreams (`upstream.rs`), `info/NAME` is the union over the search order (local
//!   versions first, a source's lines byte for byte), the dependency API reads it, `versions` adds a
//!   line per gem the merged `info/NAME` has more of and passes the source's lines through for gems
//!   no repository holds, and `gems/` retains a missing gem (so do `quick/` specifications, which
//!   are rendered from it); `names` and the full index list what the repository holds, retained
//!   gems included.

mod compact;
pub mod gemspec;
pub mod index;
pub mod marshal;
mod publish;
mod read;
pub(crate) mod upstream;

use arca_metadata::{PackageFormat, PackageKey};

pub use compact::etag;
pub use index::{asset_name, check_name, dependencies_marshal, RubyDependency};
pub use publish::RubyPushed;
pub use read::{RubyIndexFile, SpecsKind};

/// The key a gem is stored under.
pub(crate) fn key(name: &str) -> PackageKey {
    PackageKey {
        format: PackageFormat::Ruby,
        namespace: String::new(),
        name: name.to_string(),
    }
}
