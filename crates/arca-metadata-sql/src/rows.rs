//! Column lists of the shared schema and decoding of their rows, for any driver's rows.

use arca_metadata::{
    AssetRow, DomainRow, OriginRule, OriginType, PackageFormat, PackageKey, PackageRow,
    RepositoryRow, StoreResult, VersionLookup, VersionMetadata, VersionOrigin, VersionRow,
    VersionStatus,
};

use crate::errors::decode_enum;

/// Typed access to a row's columns by name, failing as a backend error. Implemented for sqlx's
/// `PgRow` (feature `postgres`) and rusqlite's `Row` (feature `sqlite`).
pub trait Columns {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn text_opt(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn int_opt(&self, column: &str) -> StoreResult<Option<i64>>;
}

/// The columns of one table in a join whose tables share column names: `column` is read as
/// `{prefix}{column}` (see [`aliased`]), so the single-table decoders work unchanged.
pub struct Prefixed<'r, R: ?Sized> {
    pub prefix: &'static str,
    pub row: &'r R,
}

impl<R: Columns + ?Sized> Columns for Prefixed<'_, R> {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.row.text(&format!("{}{column}", self.prefix))
    }
    fn text_opt(&self, column: &str) -> StoreResult<Option<String>> {
        self.row.text_opt(&format!("{}{column}", self.prefix))
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.row.int(&format!("{}{column}", self.prefix))
    }
    fn int_opt(&self, column: &str) -> StoreResult<Option<i64>> {
        self.row.int_opt(&format!("{}{column}", self.prefix))
    }
}

/// `columns` (a `, `-separated list) of table alias `table`, each renamed `{prefix}{column}`.
pub fn aliased(table: &str, columns: &str, prefix: &str) -> String {
    columns
        .split(',')
        .map(str::trim)
        .map(|c| format!("{table}.{c} AS {prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub const DOMAIN_COLUMNS: &str = "id, owner, name, created_ms, encryption_key";

pub fn domain_row(row: &dyn Columns) -> StoreResult<DomainRow> {
    Ok(DomainRow {
        id: row.int("id")?,
        owner: row.text("owner")?,
        name: row.text("name")?,
        created_ms: row.int("created_ms")?,
        encryption_key: row.text_opt("encryption_key")?,
    })
}

/// Columns of a repository joined with its domain (`r` and `d`), in [`repository_row`]'s terms.
pub const REPOSITORY_SELECT: &str = "SELECT r.id, r.domain_id, d.name AS domain_name, \
     d.owner AS domain_owner, r.name, r.administrator_account, r.description, r.created_ms, \
     r.external_connection \
     FROM repositories r JOIN domains d ON d.id = r.domain_id";

/// Decodes a row of [`REPOSITORY_SELECT`]; upstreams are loaded separately.
pub fn repository_row(row: &dyn Columns) -> StoreResult<RepositoryRow> {
    Ok(RepositoryRow {
        id: row.int("id")?,
        domain_id: row.int("domain_id")?,
        domain_name: row.text("domain_name")?,
        domain_owner: row.text("domain_owner")?,
        name: row.text("name")?,
        administrator_account: row.text("administrator_account")?,
        description: row.text_opt("description")?,
        created_ms: row.int("created_ms")?,
        upstreams: Vec::new(),
        external_connection: row.text_opt("external_connection")?,
    })
}

pub const PACKAGE_COLUMNS: &str =
    "id, repository_id, format, namespace, name, origin_publish, origin_upstream";

pub fn package_row(row: &dyn Columns) -> StoreResult<PackageRow> {
    Ok(PackageRow {
        id: row.int("id")?,
        repository_id: row.int("repository_id")?,
        key: PackageKey {
            format: decode_enum(
                "packages.format",
                &row.text("format")?,
                PackageFormat::parse,
            )?,
            namespace: row.text("namespace")?,
            name: row.text("name")?,
        },
        origin_publish: decode_enum(
            "packages.origin_publish",
            &row.text("origin_publish")?,
            OriginRule::parse,
        )?,
        origin_upstream: decode_enum(
            "packages.origin_upstream",
            &row.text("origin_upstream")?,
            OriginRule::parse,
        )?,
    })
}

pub const VERSION_COLUMNS: &str = "id, package_id, version, status, revision, published_ms, \
     origin_type, origin_repository, origin_external_connection, \
     display_name, summary, home_page, source_code_repository, licenses_json";

pub fn version_row(row: &dyn Columns) -> StoreResult<VersionRow> {
    Ok(VersionRow {
        id: row.int("id")?,
        package_id: row.int("package_id")?,
        version: row.text("version")?,
        status: decode_enum(
            "package_versions.status",
            &row.text("status")?,
            VersionStatus::parse,
        )?,
        revision: row.text("revision")?,
        published_ms: row.int("published_ms")?,
        origin: VersionOrigin {
            origin_type: decode_enum(
                "package_versions.origin_type",
                &row.text("origin_type")?,
                OriginType::parse,
            )?,
            repository: row.text_opt("origin_repository")?,
            external_connection: row.text_opt("origin_external_connection")?,
        },
        metadata: VersionMetadata {
            display_name: row.text_opt("display_name")?,
            summary: row.text_opt("summary")?,
            home_page: row.text_opt("home_page")?,
            source_code_repository: row.text_opt("source_code_repository")?,
            licenses_json: row.text_opt("licenses_json")?,
        },
    })
}

pub const ASSET_COLUMNS: &str = "name, size, md5, sha1, sha256, sha512, requires_python";

pub fn asset_row(row: &dyn Columns) -> StoreResult<AssetRow> {
    Ok(AssetRow {
        name: row.text("name")?,
        size: row.int("size")?,
        md5: row.text("md5")?,
        sha1: row.text("sha1")?,
        sha256: row.text("sha256")?,
        sha512: row.text("sha512")?,
        requires_python: row.text_opt("requires_python")?,
    })
}

/// Decodes a row of [`crate::reads::version_lookup`]: one level per table, `None` from the first
/// absent one down (a LEFT JOIN that found nothing leaves its id NULL).
pub fn version_lookup_row(row: &dyn Columns) -> StoreResult<VersionLookup> {
    let level = |prefix: &'static str| -> StoreResult<Option<Prefixed<'_, _>>> {
        let p = Prefixed { prefix, row };
        Ok(p.int_opt("id")?.map(|_| p))
    };
    let mut found = VersionLookup::default();
    let Some(d) = level("d_")? else {
        return Ok(found);
    };
    found.domain = Some(domain_row(&d)?);
    let Some(r) = level("r_")? else {
        return Ok(found);
    };
    found.repository = Some(repository_row(&r)?);
    let Some(p) = level("p_")? else {
        return Ok(found);
    };
    found.package = Some(package_row(&p)?);
    if let Some(v) = level("v_")? {
        found.version = Some(version_row(&v)?);
    }
    Ok(found)
}
