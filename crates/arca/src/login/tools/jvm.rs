//! Maven and Gradle. Maven: in `~/.m2/settings.xml`, merged into what is there, a `<server>` with
//! the token (user `aws`), a `<mirror>` of every repository (`*`: an exact `mirrorOf` elsewhere,
//! such as a mirror of `central`, still wins) and a profile with the repository, active. Gradle: the
//! token in `gradle.properties` of the Gradle user home and an init script in its `init.d/` that
//! adds the repository (dependencies and plugins) to every build.

use std::path::PathBuf;

use super::super::edit::{plan as edit, Change};
use super::super::text::kv_set;
use super::super::xml::{upsert, Key, Place};
use super::super::Target;
use super::xml_escape;

const SETTINGS_SKELETON: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\"\n          xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n          xsi:schemaLocation=\"http://maven.apache.org/SETTINGS/1.0.0 https://maven.apache.org/xsd/settings-1.0.0.xsd\">\n</settings>\n";

fn place<'a>(container: &'a str, child: &'a str) -> Place<'a> {
    Place {
        root: "settings",
        container,
        child,
    }
}

/// The user settings file (`~/.m2/settings.xml`).
fn settings_xml(t: &Target<'_>) -> PathBuf {
    t.env.home.join(".m2").join("settings.xml")
}

pub fn maven(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let id = xml_escape(&t.name());
    let url = xml_escape(t.endpoint);
    let token = xml_escape(t.token);
    let server = format!(
        "<server>\n  <id>{id}</id>\n  <username>aws</username>\n  <password>{token}</password>\n</server>"
    );
    let mirror = format!(
        "<mirror>\n  <id>{id}</id>\n  <name>Arca {}/{}</name>\n  <url>{url}</url>\n  <mirrorOf>*</mirrorOf>\n</mirror>",
        xml_escape(t.domain),
        xml_escape(t.repository)
    );
    let repository = format!(
        "<repository>\n      <id>{id}</id>\n      <url>{url}</url>\n      <releases><enabled>true</enabled></releases>\n      <snapshots><enabled>true</enabled></snapshots>\n    </repository>"
    );
    let profile = format!(
        "<profile>\n  <id>{id}</id>\n  <repositories>\n    {repository}\n  </repositories>\n  <pluginRepositories>\n    {}\n  </pluginRepositories>\n</profile>",
        repository.replace("repository>", "pluginRepository>")
    );
    let active = format!("<activeProfile>{id}</activeProfile>");
    let change = edit(settings_xml(t), true, |text| {
        let by_id = Key::ChildText("id", &id);
        let text = upsert(
            text,
            place("servers", "server"),
            by_id,
            &server,
            SETTINGS_SKELETON,
        )?;
        let text = upsert(&text, place("mirrors", "mirror"), by_id, &mirror, "")?;
        let text = upsert(&text, place("profiles", "profile"), by_id, &profile, "")?;
        upsert(
            &text,
            place("activeProfiles", "activeProfile"),
            Key::OwnText(&id),
            &active,
            "",
        )
    })?;
    Ok(vec![change])
}

fn gradle_home(t: &Target<'_>) -> PathBuf {
    t.env
        .var("GRADLE_USER_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.env.home.join(".gradle"))
}

/// The property holding the token (letters, digits and `_` only, so Groovy reads it plainly).
fn token_property(t: &Target<'_>) -> String {
    let name: String = t
        .name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("arca_{name}_token")
}

pub fn gradle(t: &Target<'_>) -> anyhow::Result<Vec<Change>> {
    let home = gradle_home(t);
    let property = token_property(t);
    let properties = edit(home.join("gradle.properties"), true, |text| {
        Ok(kv_set(text, &property, t.token))
    })?;
    let url = t.endpoint.replace('\'', "\\'");
    let script = format!(
        "// Written by `arca login --tool gradle`: Arca's repository {domain}/{repo} for every build,\n\
         // the token read from {property} in gradle.properties of the Gradle user home.\n\
         def arcaRepository = {{ handler, String token ->\n    \
             handler.maven {{\n        \
                 name = '{name}'\n        \
                 url = '{url}'\n        \
                 credentials {{\n            \
                     username = 'aws'\n            \
                     password = token\n        \
                 }}\n    \
             }}\n\
         }}\n\
         beforeSettings {{ settings ->\n    \
             def token = settings.providers.gradleProperty('{property}').getOrNull()\n    \
             settings.pluginManagement.repositories {{ arcaRepository(delegate, token) }}\n\
         }}\n\
         allprojects {{\n    \
             repositories {{ arcaRepository(delegate, project.findProperty('{property}')) }}\n\
         }}\n",
        domain = t.domain,
        repo = t.repository,
        name = t.name().replace('\'', ""),
    );
    let init = edit(
        home.join("init.d")
            .join(format!("arca-{}.gradle", t.name())),
        false,
        |_| Ok(script),
    )?;
    Ok(vec![properties, init])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, env, target};
    use super::*;

    #[test]
    fn maven_merges_into_an_existing_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".m2/settings.xml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mine = "<settings>\n  <localRepository>/repo</localRepository>\n  <servers>\n    <server><id>corp</id></server>\n    <server><id>acme-releases</id><password>OLD</password></server>\n  </servers>\n  <mirrors>\n    <mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file:///usr/share/maven-repo</url></mirror>\n  </mirrors>\n</settings>\n";
        std::fs::write(&path, mine).unwrap();
        let env = env(dir.path(), &[]);
        let e = endpoint("maven");
        let c = maven(&target(&env, &e)).unwrap();
        let out = &c[0].after;
        assert!(out.contains("<localRepository>/repo</localRepository>"));
        assert!(out.contains("<server><id>corp</id></server>"));
        assert!(!out.contains("OLD"));
        assert_eq!(out.matches("<password>TOKEN</password>").count(), 1);
        assert!(out.contains("<mirror><id>debian</id>"));
        assert!(out.contains("<mirrorOf>*</mirrorOf>"));
        assert_eq!(
            out.matches("<activeProfile>acme-releases</activeProfile>")
                .count(),
            1
        );
        // Running it again changes nothing.
        std::fs::write(&path, out).unwrap();
        let again = maven(&target(&env, &e)).unwrap();
        assert_eq!(&again[0].after, out);
        // A new file is a complete settings document.
        let empty = tempfile::tempdir().unwrap();
        let env = super::super::testing::env(empty.path(), &[]);
        let c = maven(&target(&env, &e)).unwrap();
        assert!(c[0].after.starts_with("<?xml"));
        assert!(c[0].after.contains("<servers>"));
    }

    #[test]
    fn gradle_keeps_the_token_in_properties_and_the_repository_in_an_init_script() {
        let dir = tempfile::tempdir().unwrap();
        let env = env(dir.path(), &[("GRADLE_USER_HOME", "/gh")]);
        let e = endpoint("maven");
        let c = gradle(&target(&env, &e)).unwrap();
        assert_eq!(c[0].path, PathBuf::from("/gh/gradle.properties"));
        assert_eq!(c[0].after, "arca_acme_releases_token=TOKEN\n");
        assert_eq!(
            c[1].path,
            PathBuf::from("/gh/init.d/arca-acme-releases.gradle")
        );
        assert!(c[1].after.contains(&format!("url = '{e}'")));
        assert!(!c[1].after.contains("TOKEN"));
    }
}
