//! Principals: IAM-style users besides each account's root, from the configuration
//! (`[[principals]]`, kept in memory) or from the metadata store (`arca principal …`, seen by
//! every replica). A user's access key resolves to its identity and identity policy at each
//! request, so a removed user or a changed policy applies at once.

use std::sync::Arc;

use arca_metadata::{PrincipalRow, StoreError};

use crate::policy::{Identity, Policy, PolicyKind, MAX_POLICY_CHARS};
use crate::{now_ms, Caller, Service, ServiceError, ServiceResult};

/// A principal as the operator defines it. The secret is redacted from `Debug`.
#[derive(Clone)]
pub struct PrincipalSpec {
    /// `arn:aws:iam::{12 digits}:user/{name}`.
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The identity policy (JSON).
    pub policy: Option<String>,
    /// The organization of its account (`aws:PrincipalOrgID`).
    pub org_id: Option<String>,
}

impl std::fmt::Debug for PrincipalSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalSpec")
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("org_id", &self.org_id)
            .finish_non_exhaustive()
    }
}

/// What `arca principal list` shows (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    pub arn: String,
    pub account: String,
    pub access_key_id: String,
    pub policy: Option<String>,
    pub org_id: Option<String>,
    /// `true` for a `[[principals]]` entry of the configuration, `false` for the store's.
    pub configured: bool,
}

/// A user acting through Arca: who, and what its identity policy grants.
#[derive(Debug)]
pub(crate) struct User {
    pub(crate) identity: Identity,
    pub(crate) policy: Option<Policy>,
}

/// A resolved access key: the secret to verify the signature with, and who signed.
pub struct PrincipalKey {
    pub secret_access_key: String,
    pub caller: Caller,
}

impl std::fmt::Debug for PrincipalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalKey")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

/// The account of a user ARN (`arn:aws:iam::{account}:user/{path/}name`).
pub(crate) fn user_account(arn: &str) -> ServiceResult<&str> {
    let invalid = || {
        ServiceError::validation(format!(
            "Principal ARN '{arn}' must be arn:aws:iam::ACCOUNT:user/NAME with a 12-digit account"
        ))
    };
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, user) = rest.split_once(':').ok_or_else(invalid)?;
    let name = user.strip_prefix("user/").ok_or_else(invalid)?;
    let name_ok = !name.is_empty()
        && name.split('/').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        });
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || !name_ok {
        return Err(invalid());
    }
    Ok(account)
}

/// A validated identity policy.
pub(crate) fn identity_policy(text: Option<&str>) -> ServiceResult<Option<Policy>> {
    text.map(|t| {
        if t.chars().count() > MAX_POLICY_CHARS {
            return Err(ServiceError::validation(format!(
                "The identity policy exceeds {MAX_POLICY_CHARS} characters."
            )));
        }
        Ok(Policy::parse(t, PolicyKind::Identity)?)
    })
    .transpose()
}

fn check_key(access_key_id: &str, secret: &str) -> ServiceResult<()> {
    let key_ok = (16..=128).contains(&access_key_id.len())
        && access_key_id.bytes().all(|b| b.is_ascii_alphanumeric());
    if !key_ok {
        return Err(ServiceError::validation(
            "The access key id must be 16 to 128 letters and digits.",
        ));
    }
    if secret.len() < 16 || secret.chars().any(char::is_control) {
        return Err(ServiceError::validation(
            "The secret access key must be at least 16 printable characters.",
        ));
    }
    Ok(())
}

impl PrincipalSpec {
    /// Checks the ARN, key, secret and policy; the user it defines.
    pub(crate) fn validate(&self) -> ServiceResult<User> {
        let account = user_account(&self.arn)?;
        check_key(&self.access_key_id, &self.secret_access_key)?;
        Ok(User {
            identity: Identity {
                arn: self.arn.clone(),
                account: account.to_string(),
                org_id: self.org_id.clone(),
            },
            policy: identity_policy(self.policy.as_deref())?,
        })
    }
}

fn principal_not_found(arn: &str) -> ServiceError {
    ServiceError::validation(format!("Principal not found: {arn}"))
}

impl Service {
    /// Checks the configured principals (at start: a bad entry stops the server).
    pub fn check_configured_principals(&self) -> ServiceResult<()> {
        for p in &self.config.principals {
            p.validate()?;
        }
        Ok(())
    }

    fn configured_principal(
        &self,
        pred: impl Fn(&PrincipalSpec) -> bool,
    ) -> Option<&PrincipalSpec> {
        self.config.principals.iter().find(|p| pred(p))
    }

    /// Adds a principal to the store. Its ARN and key must be new (the configuration's too).
    pub async fn add_principal(&self, spec: &PrincipalSpec) -> ServiceResult<()> {
        let user = spec.validate()?;
        if self
            .configured_principal(|p| p.arn == spec.arn || p.access_key_id == spec.access_key_id)
            .is_some()
        {
            return Err(ServiceError::validation(
                "A configured principal has this ARN or access key id.",
            ));
        }
        let now = now_ms();
        let row = PrincipalRow {
            arn: spec.arn.clone(),
            account: user.identity.account,
            access_key_id: spec.access_key_id.clone(),
            sealed_secret: self.sealer.seal(&spec.secret_access_key),
            policy: spec.policy.clone(),
            org_id: spec.org_id.clone(),
            created_ms: now,
            updated_ms: now,
        };
        self.store
            .create_principal(&row)
            .await
            .map_err(|e| match e {
                StoreError::AlreadyExists => {
                    ServiceError::validation("A principal with this ARN or access key id exists.")
                }
                e => e.into(),
            })
    }

    /// The configured principals, then the store's (by ARN).
    pub async fn list_principals(&self) -> ServiceResult<Vec<PrincipalInfo>> {
        let mut out: Vec<PrincipalInfo> = self
            .config
            .principals
            .iter()
            .map(|p| PrincipalInfo {
                arn: p.arn.clone(),
                account: user_account(&p.arn).unwrap_or_default().to_string(),
                access_key_id: p.access_key_id.clone(),
                policy: p.policy.clone(),
                org_id: p.org_id.clone(),
                configured: true,
            })
            .collect();
        out.extend(
            self.store
                .list_principals()
                .await?
                .into_iter()
                .map(|p| PrincipalInfo {
                    arn: p.arn,
                    account: p.account,
                    access_key_id: p.access_key_id,
                    policy: p.policy,
                    org_id: p.org_id,
                    configured: false,
                }),
        );
        Ok(out)
    }

    pub async fn remove_principal(&self, arn: &str) -> ServiceResult<()> {
        match self.store.delete_principal(arn).await {
            Err(StoreError::NotFound) => Err(principal_not_found(arn)),
            r => Ok(r?),
        }
    }

    /// Gives a stored principal a new access key and secret; the old key stops working at once.
    pub async fn rotate_principal_key(
        &self,
        arn: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> ServiceResult<()> {
        check_key(access_key_id, secret_access_key)?;
        let row = self
            .store
            .principal_by_arn(arn)
            .await?
            .ok_or_else(|| principal_not_found(arn))?;
        let row = PrincipalRow {
            access_key_id: access_key_id.to_string(),
            sealed_secret: self.sealer.seal(secret_access_key),
            updated_ms: now_ms(),
            ..row
        };
        self.store
            .update_principal(&row)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => principal_not_found(arn),
                StoreError::AlreadyExists => {
                    ServiceError::validation("Another principal has this access key id.")
                }
                e => e.into(),
            })
    }

    /// The principal an access key belongs to (configured first, then stored): `None` when no
    /// principal has it. One store read for a key that is not configured.
    pub async fn principal_by_access_key(
        &self,
        access_key_id: &str,
    ) -> ServiceResult<Option<PrincipalKey>> {
        if let Some(p) = self.configured_principal(|p| p.access_key_id == access_key_id) {
            return Ok(Some(PrincipalKey {
                secret_access_key: p.secret_access_key.clone(),
                caller: Caller::user(Arc::new(p.validate()?)),
            }));
        }
        let Some(row) = self.store.principal_by_access_key(access_key_id).await? else {
            return Ok(None);
        };
        let Some(secret) = self.sealer.open(&row.sealed_secret) else {
            tracing::warn!(
                principal.arn = %row.arn,
                "a stored principal's secret does not open under this server secret"
            );
            return Ok(None);
        };
        Ok(Some(PrincipalKey {
            secret_access_key: secret,
            caller: Caller::user(Arc::new(stored_user(&row)?)),
        }))
    }

    /// The user `arn` as of now (tokens and web UI sessions carry the ARN and are re-evaluated at
    /// use); `None` when it no longer exists.
    pub async fn user_by_arn(&self, arn: &str) -> ServiceResult<Option<Caller>> {
        if let Some(p) = self.configured_principal(|p| p.arn == arn) {
            return Ok(Some(Caller::user(Arc::new(p.validate()?))));
        }
        match self.store.principal_by_arn(arn).await? {
            Some(row) => Ok(Some(Caller::user(Arc::new(stored_user(&row)?)))),
            None => Ok(None),
        }
    }
}

fn stored_user(row: &PrincipalRow) -> ServiceResult<User> {
    let policy = identity_policy(row.policy.as_deref())
        .map_err(|e| ServiceError::Internal(format!("stored policy of {}: {e}", row.arn)))?;
    Ok(User {
        identity: Identity {
            arn: row.arn.clone(),
            account: row.account.clone(),
            org_id: row.org_id.clone(),
        },
        policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_arns() {
        assert_eq!(
            user_account("arn:aws:iam::111122223333:user/ci").unwrap(),
            "111122223333"
        );
        assert!(user_account("arn:aws:iam::111122223333:user/team/ci-bot").is_ok());
        for bad in [
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::1111:user/ci",
            "arn:aws:iam::111122223333:role/ci",
            "arn:aws:iam::111122223333:user/",
            "arn:aws:iam::111122223333:user/a b",
            "user/ci",
        ] {
            assert!(user_account(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_redacted_from_debug() {
        let spec = PrincipalSpec {
            arn: "arn:aws:iam::111122223333:user/ci".into(),
            access_key_id: "AKIAEXAMPLEEXAMPLE".into(),
            secret_access_key: "very-secret-value-123".into(),
            policy: None,
            org_id: None,
        };
        assert!(!format!("{spec:?}").contains("very-secret"));
        let key = PrincipalKey {
            secret_access_key: "very-secret-value-123".into(),
            caller: Caller::root("111122223333"),
        };
        assert!(!format!("{key:?}").contains("very-secret"));
    }
}
