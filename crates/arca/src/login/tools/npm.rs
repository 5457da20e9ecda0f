//! npm: `registry=E` (or `@scope:registry=E` for each `--namespace`) and `//host/path/:_authToken=T`
//! in the user's `.npmrc` (`$NPM_CONFIG_USERCONFIG`, else `~/.npmrc`), as the AWS CLI writes them —
//! but several scopes in one run.

use std::path::PathBuf;

use anyhow::bail;

use super::super::edit::{plan as edit, Change};
use super::super::text::kv_set;
use super::super::Target;

/// The scope with its `@`, if it is one npm accepts (the AWS CLI's rule).
fn scope(namespace: &str) -> String {
    if namespace.starts_with('@') {
        namespace.to_string()
    } else {
        format!("@{namespace}")
    }
}

pub fn check_scope(namespace: &str) -> anyhow::Result<()> {
    let s = scope(namespace);
    let body = &s[1..];
    let mut chars = body.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '~');
    let rest_ok = chars.all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_' | '~')
    });
    if !first_ok || !rest_ok {
        bail!("Invalid scope name, scope must contain URL-safe characters, no leading dots or underscores: {namespace}");
    }
    Ok(())
}

fn npmrc(t: &Target<'_>) -> PathBuf {
    t.env
        .var("NPM_CONFIG_USERCONFIG")
        .or_else(|| t.env.var("npm_config_userconfig"))
        .map(PathBuf::from)
        .unwrap_or_else(|| t.env.home.join(".npmrc"))
}

pub fn plan(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let auth_key = format!(
        "{}:_authToken",
        t.endpoint
            .split_once("://")
            .map_or(t.endpoint, |(_, rest)| rest)
            .trim_start_matches('/')
    );
    let auth_key = format!("//{auth_key}");
    let change = edit(npmrc(t), true, |text| {
        let mut text = text.to_string();
        if t.namespaces.is_empty() {
            text = kv_set(&text, "registry", t.endpoint);
        }
        for ns in t.namespaces {
            text = kv_set(&text, &format!("{}:registry", scope(ns)), t.endpoint);
        }
        Ok(kv_set(&text, &auth_key, t.token))
    })?;
    Ok(vec![change])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, env, target};
    use super::*;

    #[test]
    fn several_scopes_share_one_token_line_and_other_settings_stay() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".npmrc"),
            "fund=false\n@other:registry=https://other/\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("npm");
        let namespaces = vec!["acme".to_string(), "@tools".to_string()];
        let t = Target {
            namespaces: &namespaces,
            ..target(&env, &e)
        };
        let c = plan(&t).unwrap();
        assert_eq!(
            c[0].after,
            "fund=false\n@other:registry=https://other/\n@acme:registry=http://arca.test:8080/npm/d/acme-111122223333/releases/\n@tools:registry=http://arca.test:8080/npm/d/acme-111122223333/releases/\n//arca.test:8080/npm/d/acme-111122223333/releases/:_authToken=TOKEN\n"
        );
        // Without a scope: the default registry; NPM_CONFIG_USERCONFIG names the file.
        let env = super::super::testing::env(dir.path(), &[("NPM_CONFIG_USERCONFIG", "/x/npmrc")]);
        let c = plan(&target(&env, &e)).unwrap();
        assert_eq!(c[0].path, PathBuf::from("/x/npmrc"));
        assert!(c[0]
            .after
            .starts_with("registry=http://arca.test:8080/npm/"));
    }

    #[test]
    fn scopes_are_checked() {
        check_scope("acme").unwrap();
        check_scope("@my-org.x").unwrap();
        assert!(check_scope("Acme").is_err());
        assert!(check_scope("@.hidden").is_err());
    }
}
