//! NuGet (and `dotnet nuget`): the source `{domain}/{repository}` (the AWS CLI's default name) with
//! the service index `E v3/index.json` in the user's `~/.nuget/NuGet/NuGet.Config`, and its
//! credentials (user `aws`, the token as a clear-text password), merged into what is there.

use super::super::edit::{plan as edit, Change};
use super::super::xml::{upsert, Key, Place};
use super::super::Target;
use super::xml_escape;

const SKELETON: &str =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n</configuration>\n";

/// A source name as an XML element name (`XmlConvert.EncodeLocalName`: `/` is `_x002F_`).
fn element_name(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            let ok = c.is_ascii_alphabetic()
                || c == '_'
                || (i > 0 && (c.is_ascii_digit() || c == '-' || c == '.'));
            if ok {
                c.to_string()
            } else {
                format!("_x{:04X}_", c as u32)
            }
        })
        .collect()
}

pub fn plan(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let name = format!("{}/{}", t.domain, t.repository);
    let path = t.env.home.join(".nuget").join("NuGet").join("NuGet.Config");
    let source = format!(
        "<add key=\"{}\" value=\"{}v3/index.json\" />",
        xml_escape(&name),
        xml_escape(t.endpoint)
    );
    let element = element_name(&name);
    let credentials = format!(
        "<{element}>\n  <add key=\"Username\" value=\"aws\" />\n  <add key=\"ClearTextPassword\" value=\"{}\" />\n</{element}>",
        xml_escape(t.token)
    );
    let change = edit(path, true, |text| {
        let sources = Place {
            root: "configuration",
            container: "packageSources",
            child: "add",
        };
        let text = upsert(text, sources, Key::Attr("key", &name), &source, SKELETON)?;
        let creds = Place {
            root: "configuration",
            container: "packageSourceCredentials",
            child: &element,
        };
        upsert(&text, creds, Key::Tag, &credentials, "")
    })?;
    Ok(vec![change])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, env, target};
    use super::*;

    #[test]
    fn the_source_and_its_credentials_join_the_existing_ones() {
        assert_eq!(element_name("acme/releases"), "acme_x002F_releases");
        assert_eq!(element_name("1st source"), "_x0031_st_x0020_source");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".nuget/NuGet/NuGet.Config");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" protocolVersion=\"3\" />\n  </packageSources>\n</configuration>\n",
        )
        .unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("nuget");
        let c = plan(&target(&env, &e)).unwrap();
        let out = &c[0].after;
        assert!(out.contains("<add key=\"nuget.org\""));
        assert!(out.contains(&format!(
            "<add key=\"acme/releases\" value=\"{e}v3/index.json\" />"
        )));
        assert!(out.contains("<acme_x002F_releases>"));
        assert!(out.contains("<add key=\"ClearTextPassword\" value=\"TOKEN\" />"));
        std::fs::write(&path, out).unwrap();
        assert_eq!(&plan(&target(&env, &e)).unwrap()[0].after, out);
    }
}
