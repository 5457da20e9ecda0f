//! `arca login --tool T --domain D --repository R`: the AWS CLI's `codeartifact login` for every
//! tool Arca serves, including those AWS's leaves out. It signs with the usual AWS credentials
//! ([`aws`]), calls GetAuthorizationToken and GetRepositoryEndpoint over HTTP, and merges the
//! tool's configuration into its existing files ([`tools`]: one writer per tool; [`edit`]: backups,
//! atomic writes, `--dry-run`). Client side only: nothing here decides a rule of the service.

mod aws;
mod edit;
mod text;
mod tools;
mod xml;

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use http::Method;

pub use tools::Tool;

/// The flags of `arca login` (the AWS CLI's names).
#[derive(Debug, Clone, clap::Args)]
pub struct LoginArgs {
    /// The tool to configure.
    #[arg(long, value_enum)]
    pub tool: Tool,
    #[arg(long)]
    pub domain: String,
    /// The domain's owner (account id); default: the caller's account.
    #[arg(long)]
    pub domain_owner: Option<String>,
    #[arg(long)]
    pub repository: String,
    /// npm scope (several: repeat it) or Swift scope this repository serves; npm and swift only.
    #[arg(long = "namespace")]
    pub namespaces: Vec<String>,
    /// Token lifetime in seconds (900–43200; 0 or unset: the server's default, 12 hours).
    #[arg(long)]
    pub duration_seconds: Option<u64>,
    /// pip, uv, poetry, gem: add the repository beside the existing index instead of replacing it.
    #[arg(long)]
    pub extra_index: bool,
    /// Print what would change in which file, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The API endpoint (Arca's address; default: AWS_ENDPOINT_URL_CODEARTIFACT, AWS_ENDPOINT_URL,
    /// the profile's endpoint_url, else AWS's).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Profile of ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE, else `default`).
    #[arg(long)]
    pub profile: Option<String>,
}

/// The process environment the writers read (a snapshot, so tests can give their own).
#[derive(Debug, Clone)]
pub struct Env {
    pub vars: HashMap<String, String>,
    pub home: PathBuf,
    pub cwd: PathBuf,
}

impl Env {
    fn from_process() -> anyhow::Result<Self> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let home = vars
            .get("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .context("HOME is not set")?;
        let cwd = std::env::current_dir().context("reading the current directory")?;
        Ok(Self { vars, home, cwd })
    }

    /// A variable, when set and not empty.
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub fn config_home(&self) -> PathBuf {
        self.var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.home.join(".config"))
    }
}

/// What a tool's writer is given.
#[derive(Debug)]
pub struct Target<'a> {
    /// GetRepositoryEndpoint's answer, ending with `/`.
    pub endpoint: &'a str,
    pub token: &'a str,
    pub domain: &'a str,
    pub repository: &'a str,
    pub namespaces: &'a [String],
    pub extra_index: bool,
    pub env: &'a Env,
}

impl Target<'_> {
    /// The name the repository goes by in the tool's configuration (`{domain}-{repository}`).
    pub fn name(&self) -> String {
        format!("{}-{}", self.domain, self.repository)
    }

    /// `E{suffix}` with `aws:TOKEN@` as user info (pip, uv, gem read credentials from the URL).
    pub fn with_userinfo(&self, suffix: &str) -> String {
        let (scheme, rest) = self
            .endpoint
            .split_once("://")
            .unwrap_or(("https", self.endpoint));
        format!("{scheme}://aws:{}@{rest}{suffix}", self.token)
    }
}

/// `url` without user info, for comparing URLs that carry old tokens.
pub fn strip_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// `arca login`: two API calls, then the tool's files.
pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let env = Env::from_process()?;
    args.tool.check_namespaces(&args.namespaces)?;
    if let Some(d) = args.duration_seconds {
        if d != 0 && !(900..=43200).contains(&d) {
            bail!("--duration-seconds must be 0 or between 900 and 43200");
        }
    }
    let aws = aws::resolve(
        &aws::AwsFlags {
            profile: args.profile.clone(),
            region: args.region.clone(),
            endpoint_url: args.endpoint_url.clone(),
        },
        &env,
    )?;
    let client = crate::signed::client()?;
    // Like the AWS CLI: a duration of 0 is not sent (the server's default applies).
    let duration = args
        .duration_seconds
        .filter(|d| *d > 0)
        .map(|d| d.to_string());
    let owner = args.domain_owner.as_deref();
    let token_query = crate::signed::query(&[
        ("domain", Some(&args.domain)),
        ("domain-owner", owner),
        ("duration", duration.as_deref()),
    ]);
    let url = format!("{}/v1/authorization-token?{token_query}", aws.endpoint);
    let token = crate::signed::call(&client, Method::POST, &url, &aws.key)
        .await
        .context("GetAuthorizationToken")?;
    let endpoint_query = crate::signed::query(&[
        ("domain", Some(&args.domain)),
        ("domain-owner", owner),
        ("repository", Some(&args.repository)),
        ("format", Some(args.tool.format())),
    ]);
    let url = format!("{}/v1/repository/endpoint?{endpoint_query}", aws.endpoint);
    let endpoint = crate::signed::call(&client, Method::GET, &url, &aws.key)
        .await
        .context("GetRepositoryEndpoint")?;
    let token_text = token["authorizationToken"]
        .as_str()
        .context("GetAuthorizationToken answered no authorizationToken")?;
    let mut endpoint_text = endpoint["repositoryEndpoint"]
        .as_str()
        .context("GetRepositoryEndpoint answered no repositoryEndpoint")?
        .to_string();
    if !endpoint_text.ends_with('/') {
        endpoint_text.push('/');
    }
    let target = Target {
        endpoint: &endpoint_text,
        token: token_text,
        domain: &args.domain,
        repository: &args.repository,
        namespaces: &args.namespaces,
        extra_index: args.extra_index,
        env: &env,
    };
    let changes = args.tool.plan(&target)?;
    for change in &changes {
        if args.dry_run {
            print!("{}", edit::describe(change, token_text));
        } else if edit::apply(change)? {
            match &change.before {
                Some(_) => println!(
                    "Wrote {} (previous version: {})",
                    change.path.display(),
                    edit::backup_path(&change.path).display()
                ),
                None => println!("Wrote {}", change.path.display()),
            }
        } else {
            println!("{} already up to date", change.path.display());
        }
    }
    if args.dry_run {
        println!("Dry run: nothing was changed.");
        return Ok(());
    }
    for hint in args.tool.hints(&target) {
        println!("{hint}");
    }
    println!(
        "Successfully configured {} to use Arca repository {endpoint_text}",
        args.tool.name()
    );
    if let Some(exp) = token["expiration"].as_f64() {
        let at = time::OffsetDateTime::from_unix_timestamp(exp as i64)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
        if let Some(at) = at {
            println!("Login expires at {at}");
        }
    }
    Ok(())
}
