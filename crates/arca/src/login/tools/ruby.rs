//! RubyGems and Bundler. gem: the endpoint with the token as user info in `~/.gemrc`'s
//! `:sources:` (replacing the other sources, or beside them with `--extra-index`), and a
//! `Bearer` key for the endpoint's host URL in `~/.gem/credentials`, which `gem push --host E`
//! picks. Bundler: `aws:TOKEN` under the endpoint's key in the global `~/.bundle/config`, as
//! `bundle config set --global E aws:TOKEN` writes it.

use std::path::PathBuf;

use super::super::edit::{plan as edit, Change};
use super::super::{strip_userinfo, Target};

const RUBYGEMS_ORG: &str = "https://rubygems.org/";

/// `text` (a flat YAML mapping) with `key: value` (one line; replaced where it was), a `---`
/// document start added to a new file.
fn yaml_set(text: &str, key: &str, value: &str) -> String {
    let line = format!("{key}: {value}");
    let mut out: Vec<String> = Vec::new();
    let mut placed = false;
    for l in text.lines() {
        if l.starts_with(&format!("{key}:")) {
            if !placed {
                out.push(line.clone());
                placed = true;
            }
        } else {
            out.push(l.to_string());
        }
    }
    if out.is_empty() {
        out.push("---".into());
    }
    if !placed {
        out.push(line);
    }
    out.join("\n") + "\n"
}

/// `text` with the `:sources:` list set to `sources` (its old items replaced in place).
fn yaml_sources(text: &str, sources: &[String]) -> String {
    let items: Vec<String> = sources.iter().map(|s| format!("- {s}")).collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    let mut placed = false;
    while i < lines.len() {
        if lines[i].starts_with(":sources:") {
            out.push(":sources:".into());
            out.extend(items.iter().cloned());
            placed = true;
            i += 1;
            while i < lines.len() && lines[i].trim_start().starts_with("- ") {
                i += 1;
            }
            continue;
        }
        out.push(lines[i].to_string());
        i += 1;
    }
    if out.is_empty() {
        out.push("---".into());
    }
    if !placed {
        out.push(":sources:".into());
        out.extend(items);
    }
    out.join("\n") + "\n"
}

/// The items of `:sources:`.
fn yaml_source_list(text: &str) -> Vec<String> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(":sources:"));
    if lines.next().is_none() {
        return Vec::new();
    }
    lines
        .map_while(|l| l.trim_start().strip_prefix("- "))
        .map(|s| s.trim().trim_matches(['"', '\'']).to_string())
        .collect()
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn gem(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let source = t.with_userinfo("");
    let gemrc = edit(t.env.home.join(".gemrc"), true, |text| {
        let mine = strip_userinfo(&source);
        let existing = yaml_source_list(text);
        let mut sources: Vec<String> = if t.extra_index {
            existing
                .into_iter()
                .filter(|s| strip_userinfo(s) != mine)
                .collect()
        } else {
            Vec::new()
        };
        if t.extra_index && sources.is_empty() {
            sources.push(RUBYGEMS_ORG.into());
        }
        sources.push(source.clone());
        Ok(yaml_sources(text, &sources))
    })?;
    let host = t.endpoint.trim_end_matches('/');
    let credentials = edit(t.env.home.join(".gem").join("credentials"), true, |text| {
        Ok(yaml_set(
            text,
            &quoted(host),
            &format!("Bearer {}", t.token),
        ))
    })?;
    Ok(vec![gemrc, credentials])
}

/// Bundler's settings key for a URL (`Bundler::Settings.key_for`).
fn bundler_key(url: &str) -> String {
    let mut url = url.to_string();
    if !url.ends_with('/') {
        url.push('/');
    }
    format!(
        "BUNDLE_{}",
        url.replace('.', "__").replace('-', "___").to_uppercase()
    )
}

fn bundle_config(t: &Target<'_>) -> PathBuf {
    if let Some(c) = t.env.var("BUNDLE_USER_CONFIG") {
        return PathBuf::from(c);
    }
    match t.env.var("BUNDLE_USER_HOME") {
        Some(h) => PathBuf::from(h).join("config"),
        None => t.env.home.join(".bundle").join("config"),
    }
}

pub fn bundler(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let change = edit(bundle_config(t), true, |text| {
        Ok(yaml_set(
            text,
            &bundler_key(t.endpoint),
            &quoted(&format!("aws:{}", t.token)),
        ))
    })?;
    Ok(vec![change])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, env, target};
    use super::*;

    #[test]
    fn gem_sources_replace_or_extend_and_the_key_is_per_host() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".gemrc"),
            "---\ngem: --no-document\n:sources:\n- https://gems.corp/\n- http://aws:OLD@arca.test:8080/ruby/d/acme-111122223333/releases/\n:verbose: true\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("ruby");
        let with_token = "http://aws:TOKEN@arca.test:8080/ruby/d/acme-111122223333/releases/";
        let c = gem(&Target {
            extra_index: true,
            ..target(&env, &e)
        })
        .unwrap();
        assert_eq!(
            c[0].after,
            format!("---\ngem: --no-document\n:sources:\n- https://gems.corp/\n- {with_token}\n:verbose: true\n")
        );
        let c = gem(&target(&env, &e)).unwrap();
        assert_eq!(yaml_source_list(&c[0].after), [with_token]);
        assert_eq!(
            c[1].after,
            "---\n\"http://arca.test:8080/ruby/d/acme-111122223333/releases\": Bearer TOKEN\n"
        );
    }

    #[test]
    fn bundler_keys_are_bundlers() {
        assert_eq!(
            bundler_key("http://127.0.0.1:8080/ruby/d/my-dom-111122223333/gems/"),
            "BUNDLE_HTTP://127__0__0__1:8080/RUBY/D/MY___DOM___111122223333/GEMS/"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".bundle")).unwrap();
        std::fs::write(
            dir.path().join(".bundle/config"),
            "---\nBUNDLE_JOBS: \"4\"\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("ruby");
        let c = bundler(&target(&env, &e)).unwrap();
        assert_eq!(
            c[0].after,
            "---\nBUNDLE_JOBS: \"4\"\nBUNDLE_HTTP://ARCA__TEST:8080/RUBY/D/ACME___111122223333/RELEASES/: \"aws:TOKEN\"\n"
        );
    }
}
