//! The AWS CLI's way of finding credentials, region and endpoint, for `arca login`: flags, then
//! the environment (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`,
//! `AWS_PROFILE`, `AWS_REGION`/`AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_CODEARTIFACT`/
//! `AWS_ENDPOINT_URL`), then the profile in `~/.aws/credentials` and `~/.aws/config`
//! (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`). Static keys only: no SSO, roles or
//! credential processes.

use std::path::PathBuf;

use anyhow::bail;

use super::text::ini_get;
use super::Env;
use crate::signed::SigningKey;

/// What the command line says about the AWS side.
#[derive(Debug, Default, Clone)]
pub struct AwsFlags {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// Credentials, region and the API endpoint to call.
#[derive(Debug)]
pub struct Resolved {
    pub key: SigningKey,
    pub endpoint: String,
}

fn file(env: &Env, var: &str, default: &str) -> PathBuf {
    env.var(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| env.home.join(".aws").join(default))
}

/// A profile's setting: `credentials` has `[name]`, `config` has `[profile name]` (`[default]`).
fn setting(env: &Env, profile: &str, key: &str) -> anyhow::Result<Option<String>> {
    let credentials = super::edit::read(&file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
    if let Some(v) = credentials.and_then(|t| ini_get(&t, profile, key)) {
        return Ok(Some(v));
    }
    let section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    let config = super::edit::read(&file(env, "AWS_CONFIG_FILE", "config"))?;
    Ok(config.and_then(|t| ini_get(&t, &section, key)))
}

/// Resolves everything the two API calls need.
pub fn resolve(flags: &AwsFlags, env: &Env) -> anyhow::Result<Resolved> {
    let explicit_profile = flags.profile.clone();
    let profile = explicit_profile
        .clone()
        .or_else(|| env.var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let from_env = match (
        explicit_profile.is_none(),
        env.var("AWS_ACCESS_KEY_ID"),
        env.var("AWS_SECRET_ACCESS_KEY"),
    ) {
        (true, Some(id), Some(secret)) => Some((id, secret, env.var("AWS_SESSION_TOKEN"))),
        _ => None,
    };
    let (access_key_id, secret_access_key, session_token) = match from_env {
        Some(k) => k,
        None => {
            let id = setting(env, &profile, "aws_access_key_id")?;
            let secret = setting(env, &profile, "aws_secret_access_key")?;
            match (id, secret) {
                (Some(id), Some(secret)) => {
                    (id, secret, setting(env, &profile, "aws_session_token")?)
                }
                _ => bail!(
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile '{profile}' aws_access_key_id and aws_secret_access_key in ~/.aws/credentials"
                ),
            }
        }
    };
    let region = match flags
        .region
        .clone()
        .or_else(|| env.var("AWS_REGION"))
        .or_else(|| env.var("AWS_DEFAULT_REGION"))
    {
        Some(r) => r,
        None => setting(env, &profile, "region")?.unwrap_or_else(|| "us-east-1".into()),
    };
    let endpoint = match flags
        .endpoint_url
        .clone()
        .or_else(|| env.var("AWS_ENDPOINT_URL_CODEARTIFACT"))
        .or_else(|| env.var("AWS_ENDPOINT_URL"))
    {
        Some(e) => e,
        None => setting(env, &profile, "endpoint_url")?
            .unwrap_or_else(|| format!("https://codeartifact.{region}.amazonaws.com")),
    };
    Ok(Resolved {
        key: SigningKey {
            access_key_id,
            secret_access_key,
            session_token,
            region,
        },
        endpoint: endpoint.trim_end_matches('/').to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)], home: &std::path::Path) -> Env {
        Env {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home: home.to_path_buf(),
            cwd: home.to_path_buf(),
        }
    }

    #[test]
    fn environment_keys_win_unless_a_profile_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
        std::fs::write(
            dir.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n[ci]\naws_access_key_id = CIKEY\naws_secret_access_key = cisecret\naws_session_token = tok\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".aws/config"),
            "[profile ci]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:9/\n",
        )
        .unwrap();
        let e = env(
            &[
                ("AWS_ACCESS_KEY_ID", "ENVKEY"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ],
            dir.path(),
        );
        let r = resolve(&AwsFlags::default(), &e).unwrap();
        assert_eq!(r.key.access_key_id, "ENVKEY");
        assert_eq!(r.key.region, "us-east-1");
        assert_eq!(r.endpoint, "https://codeartifact.us-east-1.amazonaws.com");
        let flags = AwsFlags {
            profile: Some("ci".into()),
            ..Default::default()
        };
        let r = resolve(&flags, &e).unwrap();
        assert_eq!(r.key.access_key_id, "CIKEY");
        assert_eq!(r.key.session_token.as_deref(), Some("tok"));
        assert_eq!(r.key.region, "eu-west-1");
        assert_eq!(r.endpoint, "http://127.0.0.1:9");
        let r = resolve(
            &AwsFlags::default(),
            &env(&[("AWS_REGION", "ap-south-1")], dir.path()),
        )
        .unwrap();
        assert_eq!(r.key.access_key_id, "FILEKEY");
        assert_eq!(r.key.region, "ap-south-1");
        let err = resolve(
            &AwsFlags {
                profile: Some("none".into()),
                ..Default::default()
            },
            &e,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("profile 'none'"), "{err}");
    }
}
