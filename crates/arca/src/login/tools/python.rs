//! Python's tools. pip: `index-url` in the user's `pip.conf` (as `pip config set` writes it), or with
//! `--extra-index` one more `extra-index-url` (other indexes kept, an older URL of the same
//! repository replaced). twine: a `codeartifact` server in `~/.pypirc`. uv: an `[[index]]` in
//! `uv.toml` with the token in its URL (`default = true` unless `--extra-index`). poetry: the
//! repository and its `http-basic` credentials in Poetry's `config.toml`/`auth.toml`, and the
//! project's `[[tool.poetry.source]]` when the current directory has a Poetry `pyproject.toml`.

use std::path::PathBuf;

use super::super::edit::{plan as edit, Change};
use super::super::text::{ini_list, ini_set};
use super::super::{strip_userinfo, Target};
use super::{toml_doc, toml_table};

fn pip_conf(t: &Target<'_>) -> PathBuf {
    t.env
        .var("PIP_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.env.config_home().join("pip").join("pip.conf"))
}

pub fn pip(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let url = t.with_userinfo("simple/");
    let change = edit(pip_conf(t), true, |text| {
        if !t.extra_index {
            return Ok(ini_set(
                text,
                "global",
                "index-url",
                std::slice::from_ref(&url),
            ));
        }
        let mine = strip_userinfo(&url);
        let mut urls: Vec<String> = ini_list(text, "global", "extra-index-url")
            .into_iter()
            .filter(|u| strip_userinfo(u) != mine)
            .collect();
        urls.push(url.clone());
        Ok(ini_set(text, "global", "extra-index-url", &urls))
    })?;
    Ok(vec![change])
}

pub fn twine(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let path = t.env.home.join(".pypirc");
    let change = edit(path, true, |text| {
        let mut servers = ini_list(text, "distutils", "index-servers");
        for s in ["pypi", "codeartifact"] {
            if !servers.iter().any(|x| x == s) {
                servers.push(s.to_string());
            }
        }
        let text = ini_set(text, "distutils", "index-servers", &servers);
        let text = ini_set(
            &text,
            "codeartifact",
            "repository",
            &[t.endpoint.to_string()],
        );
        let text = ini_set(&text, "codeartifact", "username", &["aws".to_string()]);
        Ok(ini_set(
            &text,
            "codeartifact",
            "password",
            &[t.token.to_string()],
        ))
    })?;
    Ok(vec![change])
}

fn uv_toml(t: &Target<'_>) -> PathBuf {
    t.env
        .var("UV_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.env.config_home().join("uv").join("uv.toml"))
}

pub fn uv(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let name = t.name();
    let change = edit(uv_toml(t), true, |text| {
        let mut doc = toml_doc(text)?;
        let indexes = doc
            .entry("index")
            .or_insert_with(|| toml_edit::Item::ArrayOfTables(Default::default()))
            .as_array_of_tables_mut()
            .ok_or_else(|| anyhow::anyhow!("`index` is not an array of tables"))?;
        let mut table = toml_edit::Table::new();
        table["name"] = toml_edit::value(name.as_str());
        table["url"] = toml_edit::value(t.with_userinfo("simple/"));
        if !t.extra_index {
            table["default"] = toml_edit::value(true);
        }
        let at = indexes
            .iter()
            .position(|i| i.get("name").and_then(|n| n.as_str()) == Some(name.as_str()));
        match at.and_then(|i| indexes.get_mut(i)) {
            Some(existing) => *existing = table,
            None => indexes.push(table),
        }
        Ok(doc.to_string())
    })?;
    Ok(vec![change])
}

fn poetry_dir(t: &Target<'_>) -> PathBuf {
    t.env
        .var("POETRY_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.env.config_home().join("pypoetry"))
}

pub fn poetry(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let name = t.name();
    let dir = poetry_dir(t);
    let config = edit(dir.join("config.toml"), false, |text| {
        let mut doc = toml_doc(text)?;
        toml_table(&mut doc, "repositories", &name)?["url"] = toml_edit::value(t.endpoint);
        Ok(doc.to_string())
    })?;
    let auth = edit(dir.join("auth.toml"), true, |text| {
        let mut doc = toml_doc(text)?;
        let creds = toml_table(&mut doc, "http-basic", &name)?;
        creds["username"] = toml_edit::value("aws");
        creds["password"] = toml_edit::value(t.token);
        Ok(doc.to_string())
    })?;
    let mut changes = vec![config, auth];
    let pyproject = t.env.cwd.join("pyproject.toml");
    let is_poetry =
        super::super::edit::read(&pyproject)?.is_some_and(|p| p.contains("[tool.poetry"));
    if is_poetry {
        changes.push(edit(pyproject, false, |text| {
            poetry_source(text, t, &name)
        })?);
    }
    Ok(changes)
}

/// The project's `[[tool.poetry.source]]` named `name` (primary, or supplemental with
/// `--extra-index`), without credentials (those are in `auth.toml`).
fn poetry_source(text: &str, t: &Target<'_>, name: &str) -> anyhow::Result<String> {
    let mut doc = toml_doc(text)?;
    let poetry = doc
        .get_mut("tool")
        .and_then(|x| x.get_mut("poetry"))
        .and_then(|x| x.as_table_mut())
        .ok_or_else(|| anyhow::anyhow!("no [tool.poetry] table"))?;
    let sources = poetry
        .entry("source")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
        .ok_or_else(|| anyhow::anyhow!("`tool.poetry.source` is not an array of tables"))?;
    let mut table = toml_edit::Table::new();
    table["name"] = toml_edit::value(name);
    table["url"] = toml_edit::value(format!("{}simple/", t.endpoint));
    let priority = if t.extra_index {
        "supplemental"
    } else {
        "primary"
    };
    table["priority"] = toml_edit::value(priority);
    let at = sources
        .iter()
        .position(|s| s.get("name").and_then(|n| n.as_str()) == Some(name));
    match at.and_then(|i| sources.get_mut(i)) {
        Some(existing) => *existing = table,
        None => sources.push(table),
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, env, target};
    use super::*;

    const URL: &str = "http://aws:TOKEN@arca.test:8080/pypi/d/acme-111122223333/releases/simple/";

    #[test]
    fn pip_replaces_the_index_or_adds_an_extra_one() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join(".config/pip/pip.conf");
        std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
        std::fs::write(
            &conf,
            "[global]\ntimeout = 60\nextra-index-url =\n    https://mirror.test/simple/\n    http://aws:OLD@arca.test:8080/pypi/d/acme-111122223333/releases/simple/\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("pypi");
        let c = pip(&target(&env, &e)).unwrap();
        assert_eq!(c[0].path, conf);
        assert!(
            c[0].after.contains(&format!("index-url = {URL}\n")),
            "{}",
            c[0].after
        );
        assert!(c[0].after.contains("    https://mirror.test/simple/\n"));
        let t = Target {
            extra_index: true,
            ..target(&env, &e)
        };
        let c = pip(&t).unwrap();
        assert_eq!(
            c[0].after,
            format!("[global]\ntimeout = 60\nextra-index-url =\n    https://mirror.test/simple/\n    {URL}\n")
        );
    }

    #[test]
    fn twine_adds_a_server_and_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".pypirc"),
            "[distutils]\nindex-servers =\n    pypi\n    testpypi\n\n[testpypi]\nusername = me\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("pypi");
        let c = twine(&target(&env, &e)).unwrap();
        assert_eq!(
            c[0].after,
            "[distutils]\nindex-servers =\n    pypi\n    testpypi\n    codeartifact\n\n[testpypi]\nusername = me\n\n[codeartifact]\nrepository = http://arca.test:8080/pypi/d/acme-111122223333/releases/\nusername = aws\npassword = TOKEN\n"
        );
    }

    #[test]
    fn uv_upserts_its_index_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".config/uv/uv.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "# mine\nnative-tls = true\n\n[[index]]\nname = \"acme-releases\"\nurl = \"http://old/\"\n\n[[index]]\nname = \"other\"\nurl = \"https://other/simple/\"\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("pypi");
        let c = uv(&Target {
            extra_index: true,
            ..target(&env, &e)
        })
        .unwrap();
        let doc: toml::Value = toml::from_str(&c[0].after).unwrap();
        let idx = doc["index"].as_array().unwrap();
        assert_eq!(idx.len(), 2);
        assert_eq!(idx[0]["name"].as_str(), Some("acme-releases"));
        assert_eq!(idx[0]["url"].as_str(), Some(URL));
        assert!(idx[0].get("default").is_none());
        assert_eq!(idx[1]["name"].as_str(), Some("other"));
        assert!(c[0].after.starts_with("# mine\nnative-tls = true\n"));
    }

    #[test]
    fn poetry_writes_the_repository_credentials_and_the_project_source() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.poetry]\nname = \"app\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("pypi");
        let c = poetry(&target(&env, &e)).unwrap();
        assert_eq!(c.len(), 3);
        let config: toml::Value = toml::from_str(&c[0].after).unwrap();
        assert_eq!(
            config["repositories"]["acme-releases"]["url"].as_str(),
            Some(e.as_str())
        );
        let auth: toml::Value = toml::from_str(&c[1].after).unwrap();
        assert_eq!(
            auth["http-basic"]["acme-releases"]["password"].as_str(),
            Some("TOKEN")
        );
        assert!(c[1].secret);
        let project: toml::Value = toml::from_str(&c[2].after).unwrap();
        let source = &project["tool"]["poetry"]["source"][0];
        assert_eq!(source["priority"].as_str(), Some("primary"));
        assert_eq!(source["url"].as_str(), Some(format!("{e}simple/").as_str()));
        assert!(!c[2].after.contains("TOKEN"));
    }
}
