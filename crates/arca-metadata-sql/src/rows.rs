//! Column lists of the shared schema and decoding of their rows, for any driver's rows.

use arca_metadata::{
    AssetRow, DomainRow, OriginRule, OriginType, PackageFormat, PackageKey, PackageRow,
    RepositoryRow, StoreResult, VersionLookup, VersionMetadata, VersionOrigin, VersionRow,
    VersionStatus,
};

use crate::errors::decode_enum;

/// Typed access to a row's columns, failing as a backend error. Implemented for sqlx's `PgRow`
/// (feature `postgres`) and rusqlite's `Row` (feature `sqlite`).
///
/// The shared decoders below read by position through a [`Cursor`] (a lookup by name is a
/// case-insensitive scan of the row's column names for every column read, which cost a sixth of a
/// Describe on SQLite); ad-hoc reads of one or two columns use the by-name methods.
pub trait Columns {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn text_opt(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn int_opt(&self, column: &str) -> StoreResult<Option<i64>>;
    fn text_at(&self, index: usize) -> StoreResult<String>;
    fn text_opt_at(&self, index: usize) -> StoreResult<Option<String>>;
    fn int_at(&self, index: usize) -> StoreResult<i64>;
    fn int_opt_at(&self, index: usize) -> StoreResult<Option<i64>>;
    /// Text column `index`, borrowed from the row (for values decoded further, such as enums).
    fn str_at(&self, index: usize) -> StoreResult<&str>;
    /// The name of column `index` (checked against the decoders' expectations in debug builds).
    fn name_at(&self, index: usize) -> Option<&str>;
}

/// Reads a row's columns one after another, in the order of the column lists below. Each read
/// names the column it expects: debug builds (every test) check the name against the row's, so a
/// column list and its decoder cannot drift apart unnoticed; release builds read by position only.
pub struct Cursor<'r> {
    row: &'r dyn Columns,
    next: usize,
}

impl<'r> Cursor<'r> {
    pub fn new(row: &'r dyn Columns) -> Self {
        Self { row, next: 0 }
    }

    fn take(&mut self, column: &str) -> usize {
        let index = self.next;
        debug_assert_eq!(
            self.row.name_at(index),
            Some(column),
            "column {index} of the row is not the decoder's `{column}`"
        );
        self.next += 1;
        index
    }

    pub fn text(&mut self, column: &str) -> StoreResult<String> {
        let i = self.take(column);
        self.row.text_at(i)
    }
    pub fn text_opt(&mut self, column: &str) -> StoreResult<Option<String>> {
        let i = self.take(column);
        self.row.text_opt_at(i)
    }
    pub fn int(&mut self, column: &str) -> StoreResult<i64> {
        let i = self.take(column);
        self.row.int_at(i)
    }
    /// An enum stored as text, `table_column` naming it in the error when it does not parse;
    /// decoded from the row's text without copying it.
    pub fn enumerated<T>(
        &mut self,
        column: &str,
        table_column: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> StoreResult<T> {
        let i = self.take(column);
        decode_enum(table_column, self.row.str_at(i)?, parse)
    }
    pub fn int_opt(&mut self, column: &str) -> StoreResult<Option<i64>> {
        let i = self.take(column);
        self.row.int_opt_at(i)
    }

    /// Whether the next column, `column`, is NULL (without moving past it).
    fn is_null(&self, column: &str) -> StoreResult<bool> {
        debug_assert_eq!(self.row.name_at(self.next), Some(column));
        Ok(self.row.int_opt_at(self.next)?.is_none())
    }
}

/// `columns` (a `, `-separated list) qualified by table alias `table`: `t.a, t.b`. Their names in
/// the result stay `a`, `b`, so the decoders' debug checks hold in joins too.
pub fn qualified(table: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{table}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub const DOMAIN_COLUMNS: &str = "id, owner, name, created_ms, encryption_key";

pub fn domain_row(row: &dyn Columns) -> StoreResult<DomainRow> {
    domain_at(&mut Cursor::new(row))
}

fn domain_at(c: &mut Cursor<'_>) -> StoreResult<DomainRow> {
    Ok(DomainRow {
        id: c.int("id")?,
        owner: c.text("owner")?,
        name: c.text("name")?,
        created_ms: c.int("created_ms")?,
        encryption_key: c.text_opt("encryption_key")?,
    })
}

/// The columns of a repository joined with its domain (`r` and `d`).
macro_rules! repository_columns {
    () => {
        "r.id, r.domain_id, d.name AS domain_name, d.owner AS domain_owner, r.name, \
         r.administrator_account, r.description, r.created_ms, r.external_connection"
    };
}

/// Columns of a repository joined with its domain (`r` and `d`), in [`repository_row`]'s terms.
pub const REPOSITORY_COLUMNS: &str = repository_columns!();

/// The repositories joined with their domains, selecting [`REPOSITORY_COLUMNS`].
pub const REPOSITORY_SELECT: &str = concat!(
    "SELECT ",
    repository_columns!(),
    " FROM repositories r JOIN domains d ON d.id = r.domain_id"
);

/// Decodes a row of [`REPOSITORY_SELECT`]; upstreams are loaded separately.
pub fn repository_row(row: &dyn Columns) -> StoreResult<RepositoryRow> {
    repository_at(&mut Cursor::new(row))
}

fn repository_at(c: &mut Cursor<'_>) -> StoreResult<RepositoryRow> {
    Ok(RepositoryRow {
        id: c.int("id")?,
        domain_id: c.int("domain_id")?,
        domain_name: c.text("domain_name")?,
        domain_owner: c.text("domain_owner")?,
        name: c.text("name")?,
        administrator_account: c.text("administrator_account")?,
        description: c.text_opt("description")?,
        created_ms: c.int("created_ms")?,
        upstreams: Vec::new(),
        external_connection: c.text_opt("external_connection")?,
    })
}

pub const PACKAGE_COLUMNS: &str =
    "id, repository_id, format, namespace, name, origin_publish, origin_upstream";

pub fn package_row(row: &dyn Columns) -> StoreResult<PackageRow> {
    package_at(&mut Cursor::new(row))
}

fn package_at(c: &mut Cursor<'_>) -> StoreResult<PackageRow> {
    Ok(PackageRow {
        id: c.int("id")?,
        repository_id: c.int("repository_id")?,
        key: PackageKey {
            format: c.enumerated("format", "packages.format", PackageFormat::parse)?,
            namespace: c.text("namespace")?,
            name: c.text("name")?,
        },
        origin_publish: c.enumerated(
            "origin_publish",
            "packages.origin_publish",
            OriginRule::parse,
        )?,
        origin_upstream: c.enumerated(
            "origin_upstream",
            "packages.origin_upstream",
            OriginRule::parse,
        )?,
    })
}

pub const VERSION_COLUMNS: &str = "id, package_id, version, status, revision, published_ms, \
     origin_type, origin_repository, origin_external_connection, \
     display_name, summary, home_page, source_code_repository, licenses_json";

pub fn version_row(row: &dyn Columns) -> StoreResult<VersionRow> {
    version_at(&mut Cursor::new(row))
}

fn version_at(c: &mut Cursor<'_>) -> StoreResult<VersionRow> {
    Ok(VersionRow {
        id: c.int("id")?,
        package_id: c.int("package_id")?,
        version: c.text("version")?,
        status: c.enumerated("status", "package_versions.status", VersionStatus::parse)?,
        revision: c.text("revision")?,
        published_ms: c.int("published_ms")?,
        origin: VersionOrigin {
            origin_type: c.enumerated(
                "origin_type",
                "package_versions.origin_type",
                OriginType::parse,
            )?,
            repository: c.text_opt("origin_repository")?,
            external_connection: c.text_opt("origin_external_connection")?,
        },
        metadata: VersionMetadata {
            display_name: c.text_opt("display_name")?,
            summary: c.text_opt("summary")?,
            home_page: c.text_opt("home_page")?,
            source_code_repository: c.text_opt("source_code_repository")?,
            licenses_json: c.text_opt("licenses_json")?,
        },
    })
}

pub const ASSET_COLUMNS: &str = "name, size, md5, sha1, sha256, sha512, requires_python";

pub fn asset_row(row: &dyn Columns) -> StoreResult<AssetRow> {
    asset_at(&mut Cursor::new(row))
}

/// Decodes [`ASSET_COLUMNS`] from the cursor's position on.
pub fn asset_at(c: &mut Cursor<'_>) -> StoreResult<AssetRow> {
    Ok(AssetRow {
        name: c.text("name")?,
        size: c.int("size")?,
        md5: c.text("md5")?,
        sha1: c.text("sha1")?,
        sha256: c.text("sha256")?,
        sha512: c.text("sha512")?,
        requires_python: c.text_opt("requires_python")?,
    })
}

/// Decodes a row of [`crate::reads::version_lookup`]: the columns of each level in turn
/// ([`DOMAIN_COLUMNS`], [`REPOSITORY_COLUMNS`], [`PACKAGE_COLUMNS`], [`VERSION_COLUMNS`]), and
/// `None` from the first absent level down (a LEFT JOIN that found nothing leaves its id NULL).
pub fn version_lookup_row(row: &dyn Columns) -> StoreResult<VersionLookup> {
    let mut c = Cursor::new(row);
    let mut found = VersionLookup {
        domain: Some(domain_at(&mut c)?),
        ..VersionLookup::default()
    };
    if c.is_null("id")? {
        return Ok(found);
    }
    found.repository = Some(repository_at(&mut c)?);
    if c.is_null("id")? {
        return Ok(found);
    }
    found.package = Some(package_at(&mut c)?);
    if !c.is_null("id")? {
        found.version = Some(version_at(&mut c)?);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_metadata::StoreError;

    /// A row of named values: integers, or text (`None`: NULL).
    struct Fake(Vec<(&'static str, Option<&'static str>)>);

    impl Fake {
        fn at(&self, i: usize) -> StoreResult<Option<&'static str>> {
            self.0
                .get(i)
                .map(|(_, v)| *v)
                .ok_or_else(|| StoreError::Backend(format!("no column {i}").into()))
        }
        fn index(&self, column: &str) -> usize {
            self.0.iter().position(|(n, _)| *n == column).unwrap()
        }
    }

    impl Columns for Fake {
        fn text(&self, column: &str) -> StoreResult<String> {
            self.text_at(self.index(column))
        }
        fn text_opt(&self, column: &str) -> StoreResult<Option<String>> {
            self.text_opt_at(self.index(column))
        }
        fn int(&self, column: &str) -> StoreResult<i64> {
            self.int_at(self.index(column))
        }
        fn int_opt(&self, column: &str) -> StoreResult<Option<i64>> {
            self.int_opt_at(self.index(column))
        }
        fn text_at(&self, i: usize) -> StoreResult<String> {
            Ok(self.at(i)?.unwrap().to_owned())
        }
        fn text_opt_at(&self, i: usize) -> StoreResult<Option<String>> {
            Ok(self.at(i)?.map(str::to_owned))
        }
        fn int_at(&self, i: usize) -> StoreResult<i64> {
            Ok(self.at(i)?.unwrap().parse().unwrap())
        }
        fn int_opt_at(&self, i: usize) -> StoreResult<Option<i64>> {
            Ok(self.at(i)?.map(|v| v.parse().unwrap()))
        }
        fn str_at(&self, i: usize) -> StoreResult<&str> {
            Ok(self.at(i)?.unwrap())
        }
        fn name_at(&self, i: usize) -> Option<&str> {
            self.0.get(i).map(|(n, _)| *n)
        }
    }

    fn domain_columns() -> Vec<(&'static str, Option<&'static str>)> {
        vec![
            ("id", Some("7")),
            ("owner", Some("111122223333")),
            ("name", Some("acme")),
            ("created_ms", Some("5")),
            ("encryption_key", None),
        ]
    }

    #[test]
    fn decodes_by_position_in_the_column_lists_order() {
        let row = Fake(domain_columns());
        let d = domain_row(&row).unwrap();
        assert_eq!(
            (d.id, d.owner.as_str(), d.name.as_str()),
            (7, "111122223333", "acme")
        );
        assert_eq!((d.created_ms, d.encryption_key), (5, None));
        let names: Vec<_> = DOMAIN_COLUMNS.split(", ").collect();
        assert_eq!(names, row.0.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "is not the decoder's `owner`")]
    fn a_row_whose_columns_drifted_from_the_decoder_fails_loudly_in_debug_builds() {
        let mut columns = domain_columns();
        columns.swap(1, 2);
        let _ = domain_row(&Fake(columns));
    }

    #[test]
    fn a_lookup_stops_at_the_first_absent_level() {
        let mut columns = domain_columns();
        for c in REPOSITORY_COLUMNS.split(", ") {
            let name = c.rsplit(' ').next().unwrap().rsplit('.').next().unwrap();
            columns.push((name, None));
        }
        let found = version_lookup_row(&Fake(columns)).unwrap();
        assert_eq!(found.domain.map(|d| d.name), Some("acme".into()));
        assert!(found.repository.is_none() && found.package.is_none());
    }
}
