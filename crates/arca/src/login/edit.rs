//! Applying the planned changes to configuration files: each file's previous version is kept
//! beside it (`FILE.arca.bak`), the new one written to a temporary file and renamed over it
//! (never half-written), credential files created mode 0600; `--dry-run` prints the changed lines
//! instead, the token masked.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// One file as it is and as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: PathBuf,
    /// `None`: the file does not exist yet.
    pub before: Option<String>,
    pub after: String,
    /// Holds a credential: created with mode 0600.
    pub secret: bool,
}

/// Reads `path`, `None` when it does not exist.
pub fn read(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// A planned edit of `path`: `edit` gets the current text ("" when absent).
pub fn plan(
    path: PathBuf,
    secret: bool,
    edit: impl FnOnce(&str) -> anyhow::Result<String>,
) -> anyhow::Result<Change> {
    let before = read(&path)?;
    let after = edit(before.as_deref().unwrap_or(""))
        .with_context(|| format!("editing {}", path.display()))?;
    Ok(Change {
        path,
        before,
        after,
        secret,
    })
}

/// Where the previous version of `path` is kept.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".arca.bak");
    path.with_file_name(name)
}

/// Writes the change (nothing when the file already says it); returns whether it wrote.
pub fn apply(change: &Change) -> anyhow::Result<bool> {
    if change.before.as_deref() == Some(change.after.as_str()) {
        return Ok(false);
    }
    let path = &change.path;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if change.before.is_some() {
        std::fs::copy(path, backup_path(path))
            .with_context(|| format!("keeping a backup of {}", path.display()))?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".arca.tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = match std::fs::metadata(path) {
            Ok(m) => m.permissions().mode() & 0o7777,
            Err(_) if change.secret => 0o600,
            Err(_) => 0o644,
        };
        options.mode(mode);
        // `mode` only applies to a new file; a leftover temporary gets it here.
        if tmp.exists() {
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        }
    }
    let mut f = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(change.after.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(true)
}

/// `line` with `secret`, and in a credential file anything that looks like a token (a word of 32
/// or more token characters with a `.`, as older tokens are), replaced by `****`.
fn mask(line: &str, secret: &str, credential_file: bool) -> String {
    let line = if secret.is_empty() {
        line.to_string()
    } else {
        line.replace(secret, "****")
    };
    if !credential_file {
        return line;
    }
    let is_separator = |c: char| c.is_whitespace() || "=:\"'@/<>,".contains(c);
    let mut out = String::with_capacity(line.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let token_like = word.len() >= 32
            && word.contains('.')
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-~+".contains(c));
        out.push_str(if token_like { "****" } else { word });
        word.clear();
    };
    for c in line.chars() {
        if is_separator(c) {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// What `--dry-run` prints for a change: the file, then its removed (`-`) and added (`+`) lines,
/// with `secret` (and, in credential files, older tokens) masked.
pub fn describe(change: &Change, secret: &str) -> String {
    let mask = |l: &str| mask(l, secret, change.secret);
    let before: Vec<&str> = change.before.as_deref().unwrap_or("").lines().collect();
    let after: Vec<&str> = change.after.lines().collect();
    let mut out = match (&change.before, before == after) {
        (_, true) => return format!("{}: unchanged\n", change.path.display()),
        (None, _) => format!("{} (new file):\n", change.path.display()),
        (Some(_), _) => format!("{}:\n", change.path.display()),
    };
    for l in before.iter().filter(|l| !after.contains(l)) {
        out.push_str(&format!("- {}\n", mask(l)));
    }
    for l in after.iter().filter(|l| !before.contains(l)) {
        out.push_str(&format!("+ {}\n", mask(l)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_keeps_a_backup_and_a_new_secret_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/.npmrc");
        let c = plan(path.clone(), true, |t| Ok(format!("{t}a=1\n"))).unwrap();
        assert!(apply(&c).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!backup_path(&path).exists());
        let c = plan(path.clone(), true, |t| Ok(format!("{t}b=2\n"))).unwrap();
        assert!(apply(&c).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a=1\nb=2\n");
        assert_eq!(
            std::fs::read_to_string(backup_path(&path)).unwrap(),
            "a=1\n"
        );
        let same = plan(path.clone(), true, |t| Ok(t.to_string())).unwrap();
        assert!(!apply(&same).unwrap());
    }

    #[test]
    fn dry_runs_show_changed_lines_with_the_token_masked() {
        let c = Change {
            path: "/h/.npmrc".into(),
            before: Some("fund=false\nregistry=https://old/\n".into()),
            after: "fund=false\nregistry=http://new/\n//new/:_authToken=SECRET\n".into(),
            secret: true,
        };
        assert_eq!(
            describe(&c, "SECRET"),
            "/h/.npmrc:\n- registry=https://old/\n+ registry=http://new/\n+ //new/:_authToken=****\n"
        );
        let old = "eyJ2IjoxLCJhIjoiMTM0MjQ3NDI5MTY2In0.GpGOJi2O0X6ghYqNl0bk-GAoLx-MZ4JUf3bd";
        assert_eq!(
            mask(&format!("//h/:_authToken={old}"), "SECRET", true),
            "//h/:_authToken=****"
        );
        assert_eq!(
            mask(&format!("url = http://aws:{old}@h/simple/"), "", true),
            "url = http://aws:****@h/simple/"
        );
        assert_eq!(
            mask(
                "registry=http://h/npm/d/acme-111122223333/releases/",
                "",
                true
            ),
            "registry=http://h/npm/d/acme-111122223333/releases/"
        );
    }
}
