//! Swift: the registry in `~/.swiftpm/configuration/registries.json` (the default one, or one per
//! `--namespace` scope), as `swift package-registry set` writes it, and on Linux the token in
//! `~/.netrc` (`machine HOST login token password T`), as the AWS CLI writes it.

use anyhow::{bail, Context};

use super::super::edit::{plan as edit, Change};
use super::super::Target;

/// The AWS CLI's scope rule: letters, digits and single hyphens, at most 39 characters.
pub fn check_scope(scope: &str) -> anyhow::Result<()> {
    let ok = !scope.is_empty()
        && scope.len() <= 39
        && scope.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !scope.starts_with('-')
        && !scope.ends_with('-')
        && !scope.contains("--");
    if !ok {
        bail!("Invalid scope name, scope must contain alphanumeric characters and single hyphens: {scope}");
    }
    Ok(())
}

/// `registries.json` with `key` pointing at the endpoint (other registries kept).
fn registries(text: &str, keys: &[String], url: &str) -> anyhow::Result<String> {
    let mut doc: serde_json::Value = if text.trim().is_empty() {
        serde_json::json!({"registries": {}, "version": 1})
    } else {
        serde_json::from_str(text).context("not valid JSON")?
    };
    let map = doc
        .as_object_mut()
        .context("not a JSON object")?
        .entry("registries")
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()
        .context("`registries` is not an object")?;
    for key in keys {
        map.insert(
            key.clone(),
            serde_json::json!({"url": url, "supportsAvailability": false}),
        );
    }
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

pub fn plan(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let keys: Vec<String> = if t.namespaces.is_empty() {
        vec!["[default]".into()]
    } else {
        t.namespaces.to_vec()
    };
    let path = t.env.home.join(".swiftpm/configuration/registries.json");
    let config = edit(path, false, |text| registries(text, &keys, t.endpoint))?;
    let host = t
        .endpoint
        .split_once("://")
        .map_or(t.endpoint, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_string();
    let netrc = edit(t.env.home.join(".netrc"), true, |text| {
        let prefix = format!("machine {host} ");
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with(&prefix))
            .map(str::to_string)
            .collect();
        lines.push(format!("machine {host} login token password {}", t.token));
        Ok(lines.join("\n") + "\n")
    })?;
    Ok(vec![config, netrc])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, env, target};
    use super::*;

    #[test]
    fn registries_and_netrc_are_merged() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".netrc"),
            "machine other login me password p\nmachine arca.test login token password OLD\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("swift");
        let scopes = vec!["acme".to_string()];
        let c = plan(&Target {
            namespaces: &scopes,
            ..target(&env, &e)
        })
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&c[0].after).unwrap();
        assert_eq!(json["registries"]["acme"]["url"].as_str(), Some(e.as_str()));
        assert_eq!(
            c[1].after,
            "machine other login me password p\nmachine arca.test login token password TOKEN\n"
        );
        check_scope("acme-tools").unwrap();
        assert!(check_scope("-acme").is_err());
        assert!(check_scope("a--b").is_err());
    }
}
