//! Root credentials and the server secret: from the configuration, or generated on first start and
//! kept in the data directory (mode 0600) so restarts keep them.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::{distributions::Alphanumeric, Rng};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// What clients sign with, and the account they act as.
#[derive(Clone, Serialize, Deserialize)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct StoredSecrets {
    #[serde(flatten)]
    credentials: RootCredentials,
    token_secret: String,
}

/// The secrets kept in the data directory, if a server stored them there.
fn read_stored(path: &Path) -> anyhow::Result<Option<StoredSecrets>> {
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?,
    ))
}

/// The credentials the configuration gives, if it gives both key and secret.
fn configured(config: &Config, stored: Option<&StoredSecrets>) -> Option<RootCredentials> {
    match (&config.access_key_id, &config.secret_access_key) {
        (Some(id), Some(secret)) => Some(RootCredentials {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
            account_id: config
                .account_id
                .clone()
                .or_else(|| stored.map(|s| s.credentials.account_id.clone()))
                .unwrap_or_else(|| "000000000000".into()),
        }),
        _ => None,
    }
}

/// The root credentials a server with this configuration uses, for a client of it (`arca cache
/// purge`): configured, else those kept in the data directory; never generated.
pub fn load(config: &Config) -> anyhow::Result<RootCredentials> {
    let path = config.data_dir.join("credentials.toml");
    let stored = read_stored(&path)?;
    configured(config, stored.as_ref())
        .or(stored.map(|s| s.credentials))
        .with_context(|| {
            format!(
                "no root credentials: give the server's --access-key-id and --secret-access-key \
                 (or ARCA_ACCESS_KEY_ID and ARCA_SECRET_ACCESS_KEY), or its --data-dir ({} does \
                 not exist)",
                path.display()
            )
        })
}

/// Returns the credentials, the pagination-token secret, and whether they were generated just now.
pub fn load_or_create(config: &Config) -> anyhow::Result<(RootCredentials, Vec<u8>, bool)> {
    let path = config.data_dir.join("credentials.toml");
    let stored = read_stored(&path)?;
    let configured = configured(config, stored.as_ref());
    let mut generated = false;
    let stored = match stored {
        Some(s) => s,
        None => {
            generated = configured.is_none();
            let s = StoredSecrets {
                credentials: RootCredentials {
                    access_key_id: format!("AKIA{}", random_upper(16)),
                    secret_access_key: random_text(40),
                    account_id: config.account_id.clone().unwrap_or_else(random_account),
                },
                token_secret: random_text(48),
            };
            write_private(&path, &toml::to_string(&s)?)?;
            s
        }
    };
    let mut creds = configured.unwrap_or(stored.credentials);
    if let Some(a) = &config.account_id {
        creds.account_id = a.clone();
    }
    let secret = config
        .token_secret
        .clone()
        .unwrap_or(stored.token_secret)
        .into_bytes();
    Ok((creds, secret, generated))
}

pub(crate) fn random_text(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub(crate) fn random_upper(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

fn random_account() -> String {
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(12);
    s.push(char::from(b'1' + rng.gen_range(0..9)));
    for _ in 0..11 {
        s.push(char::from(b'0' + rng.gen_range(0..10)));
    }
    s
}

/// Writes a file readable only by its owner, atomically (temp file + rename).
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
