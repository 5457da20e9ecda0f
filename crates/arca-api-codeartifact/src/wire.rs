//! Response shapes, named exactly as the model names their members. Built from service values here and
//! nowhere else; conformance tests check them against the model's output shapes.

use std::collections::BTreeMap;

use arca_metadata::{AssetRow, PackageDependency};
use arca_service::{
    AllowedRepositoryUpdate, AssociatedPackage, AuthorizationToken, BatchOutcome,
    DomainDescription, GroupReference, GroupRestriction, PackageDescription,
    PackageGroupDescription, RepositoryDescription, VersionDescription, VersionSummary,
};
use serde::Serialize;

/// Epoch seconds, fractional (the restJson1 timestamp form).
fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDomainDescription {
    pub name: String,
    pub owner: String,
    pub arn: String,
    pub status: &'static str,
    pub created_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_size_bytes: Option<i64>,
}

impl From<&DomainDescription> for WireDomainDescription {
    fn from(d: &DomainDescription) -> Self {
        Self {
            name: d.name.clone(),
            owner: d.owner.clone(),
            arn: d.arn.clone(),
            status: d.status,
            created_time: secs(d.created_ms),
            encryption_key: d.encryption_key.clone(),
            repository_count: d.repository_count,
            asset_size_bytes: d.asset_size_bytes,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireUpstream {
    pub repository_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRepository {
    pub name: String,
    pub administrator_account: String,
    pub domain_name: String,
    pub domain_owner: String,
    pub arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Only in RepositoryDescription (not in RepositorySummary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstreams: Option<Vec<WireUpstream>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_connections: Option<Vec<serde_json::Value>>,
    pub created_time: f64,
}

impl WireRepository {
    pub fn description(r: &RepositoryDescription) -> Self {
        Self {
            upstreams: Some(
                r.upstreams
                    .iter()
                    .map(|u| WireUpstream {
                        repository_name: u.clone(),
                    })
                    .collect(),
            ),
            external_connections: Some(
                r.external_connection
                    .iter()
                    .map(|(name, format)| {
                        serde_json::json!({
                            "externalConnectionName": name,
                            "packageFormat": format.as_str(),
                            "status": "Available",
                        })
                    })
                    .collect(),
            ),
            ..Self::summary(r)
        }
    }

    pub fn summary(r: &RepositoryDescription) -> Self {
        Self {
            name: r.name.clone(),
            administrator_account: r.administrator_account.clone(),
            domain_name: r.domain_name.clone(),
            domain_owner: r.domain_owner.clone(),
            arn: r.arn.clone(),
            description: r.description.clone(),
            upstreams: None,
            external_connections: None,
            created_time: secs(r.created_ms),
        }
    }
}

#[derive(Serialize)]
pub struct WireRestrictions {
    pub publish: &'static str,
    pub upstream: &'static str,
}

#[derive(Serialize)]
pub struct WireOriginConfiguration {
    pub restrictions: WireRestrictions,
}

/// PackageDescription names the package `name`; PackageSummary names it `package`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WirePackage {
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    pub origin_configuration: WireOriginConfiguration,
}

impl WirePackage {
    fn base(p: &PackageDescription) -> Self {
        Self {
            format: p.format.as_str(),
            namespace: p.namespace.clone(),
            name: None,
            package: None,
            origin_configuration: WireOriginConfiguration {
                restrictions: WireRestrictions {
                    publish: p.publish.as_str(),
                    upstream: p.upstream.as_str(),
                },
            },
        }
    }
    pub fn description(p: &PackageDescription) -> Self {
        Self {
            name: Some(p.name.clone()),
            ..Self::base(p)
        }
    }
    pub fn summary(p: &PackageDescription) -> Self {
        Self {
            package: Some(p.name.clone()),
            ..Self::base(p)
        }
    }
}

/// The version answers below borrow from the service's answer: ListPackageVersions writes one per
/// version, and copying each string first cost a few percent of it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDomainEntryPoint<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_connection_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireOrigin<'a> {
    pub domain_entry_point: WireDomainEntryPoint<'a>,
    pub origin_type: &'static str,
}

impl<'a> From<&'a arca_metadata::VersionOrigin> for WireOrigin<'a> {
    fn from(o: &'a arca_metadata::VersionOrigin) -> Self {
        Self {
            domain_entry_point: WireDomainEntryPoint {
                repository_name: o.repository.as_deref(),
                external_connection_name: o.external_connection.as_deref(),
            },
            origin_type: o.origin_type.as_str(),
        }
    }
}

#[derive(Serialize)]
pub struct WireLicense<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireVersionDescription<'a> {
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'a str>,
    pub package_name: &'a str,
    pub display_name: &'a str,
    pub version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_page: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_code_repository: Option<&'a str>,
    pub published_time: f64,
    pub licenses: Vec<WireLicense<'a>>,
    pub revision: &'a str,
    pub status: &'static str,
    pub origin: WireOrigin<'a>,
}

impl<'a> From<&'a VersionDescription> for WireVersionDescription<'a> {
    fn from(v: &'a VersionDescription) -> Self {
        Self {
            format: v.format.as_str(),
            namespace: v.namespace.as_deref(),
            package_name: &v.package_name,
            display_name: &v.display_name,
            version: &v.version,
            summary: v.summary.as_deref(),
            home_page: v.home_page.as_deref(),
            source_code_repository: v.source_code_repository.as_deref(),
            published_time: secs(v.published_ms),
            licenses: v
                .licenses
                .iter()
                .map(|l| WireLicense {
                    name: l.name.as_deref(),
                    url: l.url.as_deref(),
                })
                .collect(),
            revision: &v.revision,
            status: v.status.as_str(),
            origin: (&v.origin).into(),
        }
    }
}

#[derive(Serialize)]
pub struct WireVersionSummary<'a> {
    pub version: &'a str,
    pub revision: &'a str,
    pub status: &'static str,
    pub origin: WireOrigin<'a>,
}

impl<'a> From<&'a VersionSummary> for WireVersionSummary<'a> {
    fn from(v: &'a VersionSummary) -> Self {
        Self {
            version: &v.version,
            revision: &v.revision,
            status: v.status.as_str(),
            origin: (&v.origin).into(),
        }
    }
}

#[derive(Serialize)]
pub struct WireAsset<'a> {
    pub name: &'a str,
    pub size: i64,
    pub hashes: WireHashes<'a>,
}

/// An asset's `hashes` map, its keys in the order a sorted map writes them.
#[derive(Serialize)]
pub struct WireHashes<'a> {
    #[serde(rename = "MD5")]
    pub md5: &'a str,
    #[serde(rename = "SHA-1")]
    pub sha1: &'a str,
    #[serde(rename = "SHA-256")]
    pub sha256: &'a str,
    #[serde(rename = "SHA-512")]
    pub sha512: &'a str,
}

impl<'a> From<&'a AssetRow> for WireAsset<'a> {
    fn from(a: &'a AssetRow) -> Self {
        Self {
            name: &a.name,
            size: a.size,
            hashes: WireHashes {
                md5: &a.md5,
                sha1: &a.sha1,
                sha256: &a.sha256,
                sha512: &a.sha512,
            },
        }
    }
}

/// `PackageDependency`: absent members are omitted (no namespace for an unscoped dependency).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDependency {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_requirement: Option<String>,
}

impl From<&PackageDependency> for WireDependency {
    fn from(d: &PackageDependency) -> Self {
        Self {
            namespace: (!d.namespace.is_empty()).then(|| d.namespace.clone()),
            package: d.package.clone(),
            dependency_type: d.dependency_type.clone(),
            version_requirement: d.version_requirement.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct WireSuccess {
    pub revision: String,
    pub status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireFailure {
    pub error_code: &'static str,
    pub error_message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireBatch {
    pub successful_versions: BTreeMap<String, WireSuccess>,
    pub failed_versions: BTreeMap<String, WireFailure>,
}

impl From<&BatchOutcome> for WireBatch {
    fn from(b: &BatchOutcome) -> Self {
        Self {
            successful_versions: b
                .successful
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        WireSuccess {
                            revision: v.revision.clone(),
                            status: v.status.as_str(),
                        },
                    )
                })
                .collect(),
            failed_versions: b
                .failed
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        WireFailure {
                            error_code: v.code.as_str(),
                            error_message: v.message.clone(),
                        },
                    )
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub struct WireTag {
    pub key: String,
    pub value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAuthorizationToken {
    pub authorization_token: String,
    /// Whole epoch seconds.
    pub expiration: f64,
}

impl From<&AuthorizationToken> for WireAuthorizationToken {
    fn from(t: &AuthorizationToken) -> Self {
        Self {
            authorization_token: t.token.clone(),
            expiration: secs(t.expires_ms),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRepositoryEndpoint {
    pub repository_endpoint: String,
}

/// `PackageGroupReference`.
#[derive(Serialize)]
pub struct WireGroupReference {
    pub arn: String,
    pub pattern: String,
}

impl From<&GroupReference> for WireGroupReference {
    fn from(r: &GroupReference) -> Self {
        Self {
            arn: r.arn.clone(),
            pattern: r.pattern.clone(),
        }
    }
}

/// `PackageGroupOriginRestriction`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireGroupRestriction {
    pub mode: &'static str,
    pub effective_mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<WireGroupReference>,
    pub repositories_count: i64,
}

#[derive(Serialize)]
pub struct WireGroupOriginConfiguration {
    pub restrictions: BTreeMap<&'static str, WireGroupRestriction>,
}

/// `PackageGroupDescription`, and `PackageGroupSummary` (the same members).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WirePackageGroup {
    pub arn: String,
    pub pattern: String,
    pub domain_name: String,
    pub domain_owner: String,
    pub created_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub origin_configuration: WireGroupOriginConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<WireGroupReference>,
}

impl From<&PackageGroupDescription> for WirePackageGroup {
    fn from(g: &PackageGroupDescription) -> Self {
        Self {
            arn: g.arn.clone(),
            pattern: g.pattern.clone(),
            domain_name: g.domain_name.clone(),
            domain_owner: g.domain_owner.clone(),
            created_time: secs(g.created_ms),
            contact_info: g.contact_info.clone(),
            description: g.description.clone(),
            origin_configuration: WireGroupOriginConfiguration {
                restrictions: g
                    .restrictions
                    .iter()
                    .map(|(t, r)| {
                        (
                            t.as_str(),
                            WireGroupRestriction {
                                mode: r.mode.as_str(),
                                effective_mode: r.effective_mode.as_str(),
                                inherited_from: r.inherited_from.as_ref().map(Into::into),
                                repositories_count: r.repositories_count,
                            },
                        )
                    })
                    .collect(),
            },
            parent: g.parent.as_ref().map(Into::into),
        }
    }
}

/// `AssociatedPackage`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAssociatedPackage {
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub package: String,
    pub association_type: &'static str,
}

impl From<&AssociatedPackage> for WireAssociatedPackage {
    fn from(p: &AssociatedPackage) -> Self {
        Self {
            format: p.format.as_str(),
            namespace: p.namespace.clone(),
            package: p.package.clone(),
            association_type: p.association_type.as_str(),
        }
    }
}

/// `allowedRepositoryUpdates`: type → {ADDED|REMOVED → names}, lists that are empty left out.
pub fn allowed_repository_updates(
    updates: &BTreeMap<GroupRestriction, AllowedRepositoryUpdate>,
) -> BTreeMap<&'static str, BTreeMap<&'static str, Vec<String>>> {
    updates
        .iter()
        .map(|(t, u)| {
            let mut lists = BTreeMap::new();
            if !u.added.is_empty() {
                lists.insert("ADDED", u.added.clone());
            }
            if !u.removed.is_empty() {
                lists.insert("REMOVED", u.removed.clone());
            }
            (t.as_str(), lists)
        })
        .collect()
}

/// `ResourcePolicy`, inside the `{"policy": …}` answer of the six policy operations.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireResourcePolicy {
    pub resource_arn: String,
    pub revision: String,
    pub document: String,
}

#[derive(Serialize)]
pub struct WirePolicyOutput {
    pub policy: WireResourcePolicy,
}

impl From<arca_service::ResourcePolicy> for WirePolicyOutput {
    fn from(p: arca_service::ResourcePolicy) -> Self {
        Self {
            policy: WireResourcePolicy {
                resource_arn: p.resource_arn,
                revision: p.revision,
                document: p.document,
            },
        }
    }
}

/// DescribePackageVersion's answer (written by [`WireDescribeVersionAnswer::to_json`]; the derived
/// `Serialize` is its reference).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDescribeVersionAnswer<'a> {
    pub package_version: WireVersionDescription<'a>,
}

/// ListPackageVersionAssets' answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAssetsAnswer<'a> {
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub package: String,
    pub version: String,
    pub version_revision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    pub assets: Vec<WireAsset<'a>>,
}

/// ListPackageVersions' answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireVersionsAnswer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_display_version: Option<String>,
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub package: String,
    pub versions: Vec<WireVersionSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Writes a JSON object member by member, byte for byte as serde_json writes the derived
/// structs above (members in declaration order, absent optional ones left out): serde escapes
/// every member name of every object, which made the JSON of a page of 100 versions about a
/// sixth of ListPackageVersions' instructions. Member names are constants written as they are,
/// quoted and followed by `:` at compile time ([`key!`]).
struct JsonObject<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

/// `"name":`, the form [`JsonObject`] takes member names in.
macro_rules! key {
    ($name:literal) => {
        concat!("\"", $name, "\":")
    };
}

impl<'o> JsonObject<'o> {
    #[inline]
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, empty: true }
    }

    /// Starts a member (`key` from [`key!`]); the caller writes its value.
    #[inline]
    fn member(&mut self, key: &'static str) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.empty) {
            self.out.push(b',');
        }
        self.out.extend_from_slice(key.as_bytes());
        self.out
    }

    #[inline]
    fn str(&mut self, key: &'static str, value: &str) {
        push_json_str(self.member(key), value);
    }

    #[inline]
    fn opt_str(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    /// Member `key`: an array of one object per item, whose members `write` writes.
    #[inline]
    fn objects<T>(
        &mut self,
        key: &'static str,
        items: &[T],
        mut write: impl FnMut(&mut JsonObject<'_>, &T),
    ) {
        let list = self.member(key);
        list.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                list.push(b',');
            }
            let mut o = JsonObject::open(&mut *list);
            write(&mut o, item);
            o.close();
        }
        list.push(b']');
    }

    #[inline]
    fn close(self) {
        self.out.push(b'}');
    }
}

impl WireVersionsAnswer<'_> {
    /// The answer as `serde_json::to_vec` writes it, byte for byte ([`JsonObject`]).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.versions.len() * 224);
        let mut o = JsonObject::open(&mut out);
        o.opt_str(
            key!("defaultDisplayVersion"),
            self.default_display_version.as_deref(),
        );
        o.str(key!("format"), self.format);
        o.opt_str(key!("namespace"), self.namespace.as_deref());
        o.str(key!("package"), &self.package);
        o.objects(key!("versions"), &self.versions, |version, v| {
            version.str(key!("version"), v.version);
            version.str(key!("revision"), v.revision);
            version.str(key!("status"), v.status);
            v.origin.write_json(version.member(key!("origin")));
        });
        o.opt_str(key!("nextToken"), self.next_token.as_deref());
        o.close();
        out
    }
}

impl WireDescribeVersionAnswer<'_> {
    /// The answer as `serde_json::to_vec` writes it, byte for byte ([`JsonObject`]).
    pub fn to_json(&self) -> Vec<u8> {
        let v = &self.package_version;
        let mut out = Vec::with_capacity(512);
        let mut answer = JsonObject::open(&mut out);
        let mut o = JsonObject::open(answer.member(key!("packageVersion")));
        o.str(key!("format"), v.format);
        o.opt_str(key!("namespace"), v.namespace);
        o.str(key!("packageName"), v.package_name);
        o.str(key!("displayName"), v.display_name);
        o.str(key!("version"), v.version);
        o.opt_str(key!("summary"), v.summary);
        o.opt_str(key!("homePage"), v.home_page);
        o.opt_str(key!("sourceCodeRepository"), v.source_code_repository);
        // Numbers as serde_json writes them (writing to a Vec cannot fail).
        let _ = serde_json::to_writer(&mut *o.member(key!("publishedTime")), &v.published_time);
        o.objects(key!("licenses"), &v.licenses, |license, l| {
            license.opt_str(key!("name"), l.name);
            license.opt_str(key!("url"), l.url);
        });
        o.str(key!("revision"), v.revision);
        o.str(key!("status"), v.status);
        v.origin.write_json(o.member(key!("origin")));
        o.close();
        answer.close();
        out
    }
}

impl WireAssetsAnswer<'_> {
    /// The answer as `serde_json::to_vec` writes it, byte for byte ([`JsonObject`]).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(384 + self.assets.len() * 320);
        let mut o = JsonObject::open(&mut out);
        o.str(key!("format"), self.format);
        o.opt_str(key!("namespace"), self.namespace.as_deref());
        o.str(key!("package"), &self.package);
        o.str(key!("version"), &self.version);
        o.str(key!("versionRevision"), &self.version_revision);
        o.opt_str(key!("nextToken"), self.next_token.as_deref());
        o.objects(key!("assets"), &self.assets, |asset, a| {
            asset.str(key!("name"), a.name);
            let _ = serde_json::to_writer(&mut *asset.member(key!("size")), &a.size);
            let mut hashes = JsonObject::open(asset.member(key!("hashes")));
            hashes.str(key!("MD5"), a.hashes.md5);
            hashes.str(key!("SHA-1"), a.hashes.sha1);
            hashes.str(key!("SHA-256"), a.hashes.sha256);
            hashes.str(key!("SHA-512"), a.hashes.sha512);
            hashes.close();
        });
        o.close();
        out
    }
}

impl WireOrigin<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = JsonObject::open(out);
        let mut entry = JsonObject::open(o.member(key!("domainEntryPoint")));
        entry.opt_str(
            key!("repositoryName"),
            self.domain_entry_point.repository_name,
        );
        entry.opt_str(
            key!("externalConnectionName"),
            self.domain_entry_point.external_connection_name,
        );
        entry.close();
        o.str(key!("originType"), self.origin_type);
        o.close();
    }
}

/// The bytes serde_json escapes in a string: control characters, `"` and `\\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// A JSON string as serde_json writes it: as it is, quoted, when nothing in it needs escaping.
#[inline]
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A string with every kind of character JSON treats differently.
    const ODD: &str = "q\"uo\\te\n\t\u{1}\u{7f}é ሴ </script>";

    fn assert_written_as_serde_writes<T: Serialize>(answer: &T, written: Vec<u8>) {
        let expected = serde_json::to_vec(answer).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    fn summary<'a>(
        version: &'a str,
        repository: Option<&'a str>,
        connection: Option<&'a str>,
    ) -> WireVersionSummary<'a> {
        WireVersionSummary {
            version,
            revision: "rev/+=",
            status: "Published",
            origin: WireOrigin {
                domain_entry_point: WireDomainEntryPoint {
                    repository_name: repository,
                    external_connection_name: connection,
                },
                origin_type: "INTERNAL",
            },
        }
    }

    #[test]
    fn asset_hashes_are_written_as_the_sorted_map_was() {
        let row = AssetRow {
            name: "a.bin".into(),
            size: 3,
            md5: "m".into(),
            sha1: "s1".into(),
            sha256: "s256".into(),
            sha512: "s512".into(),
            requires_python: None,
        };
        let map = BTreeMap::from([
            ("MD5", "m"),
            ("SHA-1", "s1"),
            ("SHA-256", "s256"),
            ("SHA-512", "s512"),
        ]);
        assert_eq!(
            serde_json::to_string(&WireAsset::from(&row).hashes).unwrap(),
            serde_json::to_string(&map).unwrap()
        );
    }

    fn description<'a>(
        odd: &'a str,
        optional: bool,
        published_ms: i64,
    ) -> WireVersionDescription<'a> {
        let some = |v: &'a str| optional.then_some(v);
        WireVersionDescription {
            format: "pypi",
            namespace: some(odd),
            package_name: odd,
            display_name: "Name",
            version: "1.0",
            summary: some("sum\nmary"),
            home_page: some("https://x/"),
            source_code_repository: some(odd),
            published_time: secs(published_ms),
            licenses: if optional {
                vec![
                    WireLicense {
                        name: Some("MIT"),
                        url: None,
                    },
                    WireLicense {
                        name: None,
                        url: Some(odd),
                    },
                    WireLicense {
                        name: None,
                        url: None,
                    },
                    WireLicense {
                        name: Some("a"),
                        url: Some("b"),
                    },
                ]
            } else {
                vec![]
            },
            revision: "rev",
            status: "Published",
            origin: summary("v", some("repo"), some(odd)).origin,
        }
    }

    #[test]
    fn describe_answer_json_is_serdes_byte_for_byte() {
        let odd = ODD;
        for optional in [false, true] {
            for ms in [0, 1, 1_733_400_000_123, 1_733_400_000_000, -5, i64::MAX] {
                let answer = WireDescribeVersionAnswer {
                    package_version: description(odd, optional, ms),
                };
                assert_written_as_serde_writes(&answer, answer.to_json());
            }
        }
    }

    #[test]
    fn assets_answer_json_is_serdes_byte_for_byte() {
        let odd = ODD;
        let row = |name: &str, size| AssetRow {
            name: name.into(),
            size,
            md5: "m".into(),
            sha1: odd.into(),
            sha256: "s256".into(),
            sha512: "s512".into(),
            requires_python: Some("x".into()),
        };
        let rows = [row("a.bin", 0), row(odd, -1), row("c", i64::MAX)];
        for (namespace, token, n) in [(None, None, 0), (Some(odd), Some("t+/="), 3)] {
            let answer = WireAssetsAnswer {
                format: "generic",
                namespace: namespace.map(str::to_owned),
                package: odd.into(),
                version: "1.0".into(),
                version_revision: "rev".into(),
                next_token: token.map(str::to_owned),
                assets: rows[..n].iter().map(WireAsset::from).collect(),
            };
            assert_written_as_serde_writes(&answer, answer.to_json());
        }
    }

    #[test]
    fn versions_answer_json_is_serdes_byte_for_byte() {
        let odd = ODD;
        let answers = [
            WireVersionsAnswer {
                default_display_version: None,
                format: "generic",
                namespace: None,
                package: "p".into(),
                versions: vec![],
                next_token: None,
            },
            WireVersionsAnswer {
                default_display_version: Some("1.0.0".into()),
                format: "npm",
                namespace: Some(odd.into()),
                package: odd.into(),
                versions: vec![
                    summary("1.0.0", Some("repo"), None),
                    summary(odd, None, Some(odd)),
                    summary("2", Some(odd), Some("public:npmjs")),
                    summary("3", None, None),
                ],
                next_token: Some("tok+/=".into()),
            },
        ];
        for answer in &answers {
            assert_written_as_serde_writes(answer, answer.to_json());
        }
    }
}
