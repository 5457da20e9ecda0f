//! cargo: a registry named `{domain}-{repository}` in `$CARGO_HOME/config.toml` (`index =
//! "sparse+E"`, `credential-provider = "cargo:token"`) and its token in `credentials.toml`, which
//! that provider reads (cargo sends it as it is; Arca accepts it raw).

use std::path::PathBuf;

use super::super::edit::{plan as edit, Change};
use super::super::Target;
use super::{toml_doc, toml_table};

fn cargo_home(t: &Target<'_>) -> PathBuf {
    t.env
        .var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.env.home.join(".cargo"))
}

/// `config.toml`, or the legacy `config` when only that exists (cargo reads one of them).
fn existing_or(home: &std::path::Path, name: &str) -> PathBuf {
    let toml = home.join(format!("{name}.toml"));
    let legacy = home.join(name);
    if !toml.exists() && legacy.exists() {
        legacy
    } else {
        toml
    }
}

pub fn plan(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let home = cargo_home(t);
    let name = t.name();
    let config = edit(existing_or(&home, "config"), false, |text| {
        let mut doc = toml_doc(text)?;
        let reg = toml_table(&mut doc, "registries", &name)?;
        reg["index"] = toml_edit::value(format!("sparse+{}", t.endpoint));
        reg["credential-provider"] = toml_edit::value("cargo:token");
        Ok(doc.to_string())
    })?;
    let credentials = edit(existing_or(&home, "credentials"), true, |text| {
        let mut doc = toml_doc(text)?;
        toml_table(&mut doc, "registries", &name)?["token"] = toml_edit::value(t.token);
        Ok(doc.to_string())
    })?;
    Ok(vec![config, credentials])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, env, target};
    use super::*;

    #[test]
    fn the_registry_and_its_token_are_merged_into_cargo_home() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "[net]\ngit-fetch-with-cli = true # mine\n\n[registries.other]\nindex = \"sparse+https://other/\"\n",
        )
        .unwrap();
        let home = dir.path().display().to_string();
        let env = env(dir.path(), &[("CARGO_HOME", &home)]);
        let e = endpoint("cargo");
        let c = plan(&target(&env, &e)).unwrap();
        assert!(
            c[0].after
                .starts_with("[net]\ngit-fetch-with-cli = true # mine\n"),
            "{}",
            c[0].after
        );
        let config: toml::Value = toml::from_str(&c[0].after).unwrap();
        let reg = &config["registries"]["acme-releases"];
        assert_eq!(reg["index"].as_str(), Some(format!("sparse+{e}").as_str()));
        assert_eq!(reg["credential-provider"].as_str(), Some("cargo:token"));
        assert!(config["registries"]["other"].is_table());
        assert_eq!(c[1].path, dir.path().join("credentials.toml"));
        assert_eq!(
            c[1].after,
            "[registries.acme-releases]\ntoken = \"TOKEN\"\n"
        );
    }
}
