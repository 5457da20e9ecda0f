//! The compact index's text files, from the versions of each gem (pure: the service reads the
//! store, this renders).
//!
//! `info/NAME` is `---` and one line per gem file of each non-yanked version, in publish order.
//! `versions` is `created_at: …`, `---`, then one line per version of every gem in publish order,
//! `NAME V[,V-PLATFORM] MD5`, where MD5 is the digest of the gem's `info` as it was with the
//! versions up to that one; then one line per yanked version, `NAME -V[,-V-PLATFORM] MD5` with the
//! digest of the current `info`. A gem's last line always carries its current `info` digest
//! (what Bundler compares its cached copy with), and a publish only appends (what Range
//! requests rely on); a yank or a new platform of an old version rewrites the file, which
//! clients notice by its ETag and fetch whole.

use std::collections::HashMap;

use md5::{Digest, Md5};

/// One version of a gem as the compact index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedVersion {
    /// Its place in the repository's publish order: `(published_ms, id)`.
    pub order: (i64, i64),
    pub version: String,
    pub yanked: bool,
    /// Its files: (platform, `info` line), `ruby` first.
    pub files: Vec<(String, String)>,
}

/// The `info/NAME` file of a gem's versions (in publish order).
pub fn info_text(versions: &[IndexedVersion]) -> String {
    let mut out = String::from("---\n");
    for v in versions.iter().filter(|v| !v.yanked) {
        for (_, line) in &v.files {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn list(v: &IndexedVersion, prefix: &str) -> String {
    v.files
        .iter()
        .map(|(platform, _)| match platform.as_str() {
            super::index::RUBY => format!("{prefix}{}", v.version),
            p => format!("{prefix}{}-{p}", v.version),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The `versions` file. `gems` holds each gem's versions in publish order.
pub fn versions_text(created_at: &str, gems: &[(String, Vec<IndexedVersion>)]) -> String {
    let mut published = Vec::new();
    let mut yanked = Vec::new();
    for (name, versions) in gems {
        let current = hex::encode(Md5::digest(info_text(versions).as_bytes()));
        let mut so_far = Md5::new();
        so_far.update(b"---\n");
        for v in versions.iter().filter(|v| !v.files.is_empty()) {
            if !v.yanked {
                for (_, line) in &v.files {
                    so_far.update(line.as_bytes());
                    so_far.update(b"\n");
                }
            }
            let digest = hex::encode(so_far.clone().finalize());
            published.push((v.order, format!("{name} {} {digest}", list(v, ""))));
            if v.yanked {
                yanked.push((v.order, format!("{name} {} {current}", list(v, "-"))));
            }
        }
    }
    published.sort_by_key(|(order, _)| *order);
    yanked.sort_by_key(|(order, _)| *order);
    let mut out = format!("created_at: {created_at}\n---\n");
    for (_, line) in published.iter().chain(&yanked) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The gem files a `versions` file lists, in its order, each yank line applied (a `-V[-PLATFORM]`
/// entry takes that file out): (name, version, platform). Entries are split as the compact index
/// client splits them, at the first `-`.
pub fn listed_files(versions: &str) -> Vec<(String, String, String)> {
    let lines = versions.split_once("---\n").map_or("", |(_, l)| l);
    // Each file's place in `out` while listed (the source's `versions` has every public gem).
    let mut at: HashMap<(String, String, String), usize> = HashMap::new();
    let mut out: Vec<Option<(String, String, String)>> = Vec::new();
    for line in lines.lines() {
        let mut fields = line.split(' ');
        let (Some(name), Some(list)) = (fields.next(), fields.next()) else {
            continue;
        };
        for entry in list.split(',').filter(|e| !e.is_empty()) {
            let (yank, entry) = match entry.strip_prefix('-') {
                Some(e) => (true, e),
                None => (false, entry),
            };
            let (version, platform) = entry.split_once('-').unwrap_or((entry, super::index::RUBY));
            let file = (name.to_string(), version.to_string(), platform.to_string());
            if yank {
                if let Some(i) = at.remove(&file) {
                    out[i] = None;
                }
            } else if !at.contains_key(&file) {
                at.insert(file.clone(), out.len());
                out.push(Some(file));
            }
        }
    }
    out.into_iter().flatten().collect()
}

/// The compact index's entity tag of a file: its MD5, quoted (Bundler compares it with the MD5
/// of its cached copy).
pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(order: i64, version: &str, yanked: bool, platforms: &[&str]) -> IndexedVersion {
        IndexedVersion {
            order: (order, order),
            version: version.into(),
            yanked,
            files: platforms
                .iter()
                .map(|p| (p.to_string(), format!("{version}-{p} |checksum:00")))
                .collect(),
        }
    }

    fn md5(s: &str) -> String {
        hex::encode(Md5::digest(s.as_bytes()))
    }

    #[test]
    fn info_lists_the_files_of_versions_not_yanked() {
        let vs = [
            v(1, "1.0", false, &["ruby", "java"]),
            v(2, "1.1", true, &["ruby"]),
        ];
        assert_eq!(
            info_text(&vs),
            "---\n1.0-ruby |checksum:00\n1.0-java |checksum:00\n"
        );
    }

    #[test]
    fn versions_grow_by_appending_and_mark_yanks() {
        let kit1 = v(1, "1.0", false, &["ruby", "java"]);
        let core1 = v(2, "0.1", false, &["ruby"]);
        let before = versions_text(
            "2026-01-01T00:00:00Z",
            &[
                ("kit".into(), vec![kit1.clone()]),
                ("core".into(), vec![core1.clone()]),
            ],
        );
        let kit_info = "---\n1.0-ruby |checksum:00\n1.0-java |checksum:00\n";
        assert_eq!(
            before,
            format!(
                "created_at: 2026-01-01T00:00:00Z\n---\nkit 1.0,1.0-java {}\ncore 0.1 {}\n",
                md5(kit_info),
                md5("---\n0.1-ruby |checksum:00\n")
            )
        );
        // A new version is appended; what was there stays byte for byte.
        let kit2 = v(3, "2.0", false, &["ruby"]);
        let after = versions_text(
            "2026-01-01T00:00:00Z",
            &[
                ("kit".into(), vec![kit1.clone(), kit2.clone()]),
                ("core".into(), vec![core1.clone()]),
            ],
        );
        let kit_info2 = format!("{kit_info}2.0-ruby |checksum:00\n");
        assert_eq!(after, format!("{before}kit 2.0 {}\n", md5(&kit_info2)));
        // A yank is marked at the end with the current info's digest.
        let kit1_yanked = v(1, "1.0", true, &["ruby", "java"]);
        let yanked = versions_text(
            "2026-01-01T00:00:00Z",
            &[("kit".into(), vec![kit1_yanked, kit2])],
        );
        let now = md5("---\n2.0-ruby |checksum:00\n");
        assert!(
            yanked.ends_with(&format!("kit 2.0 {now}\nkit -1.0,-1.0-java {now}\n")),
            "{yanked}"
        );
        assert_eq!(etag(b"x"), format!("\"{}\"", md5("x")));
        let files = |t: &str| {
            listed_files(t)
                .into_iter()
                .map(|(n, v, p)| format!("{n} {v} {p}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            files(&yanked),
            ["kit 2.0 ruby"],
            "the yank line takes 1.0 out"
        );
        assert_eq!(
            files("created_at: x\n---\na 1.0,1.0-java d\nb 0.1 d\na -1.0-java d\n"),
            ["a 1.0 ruby", "b 0.1 ruby"]
        );
    }
}
