//! The in-memory index of one domain's package groups: association of a package (most specific
//! strong match, or a more specific weak one), parents, children and effective restrictions.
//! Built from the store's rows; lookups hash the candidate patterns of a package (their number
//! grows with the length of its names, never with the number of groups or packages).

use std::collections::{HashMap, HashSet};

use arca_metadata::{AllowedRepository, GroupMode, GroupRestriction, PackageGroupRow, PackageKey};

use super::pattern::{folded_key, Pattern};

/// A group of the index.
#[derive(Debug)]
pub(crate) struct Group {
    pub row: PackageGroupRow,
    pub pattern: Pattern,
    /// Index of the closest more general group (`None` for the root).
    pub parent: Option<usize>,
}

/// How a package is associated with its group (`PackageGroupAssociationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssociationType {
    Strong,
    Weak,
}

impl AssociationType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strong => "STRONG",
            Self::Weak => "WEAK",
        }
    }
}

/// A restriction as the group's chain decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Effective {
    pub mode: GroupMode,
    /// The group whose own mode this is (the group itself unless its mode is INHERIT).
    pub from: usize,
}

#[derive(Debug)]
pub(crate) struct GroupIndex {
    /// The store's revision of the domain's groups this index was built from.
    pub revision: i64,
    pub groups: Vec<Group>,
    strong: HashMap<Pattern, usize>,
    /// Folded pattern → groups having it, by pattern text.
    weak: HashMap<Pattern, Vec<usize>>,
    /// (group, restriction) → allowed repository ids.
    allowed: HashMap<(usize, GroupRestriction), HashSet<i64>>,
}

impl GroupIndex {
    /// `rows` must hold every group of the domain, `allowed` every allowed-repository entry.
    /// Rows whose pattern does not parse (none should) are left out.
    pub fn build(revision: i64, rows: Vec<PackageGroupRow>, allowed: &[AllowedRepository]) -> Self {
        let mut groups: Vec<Group> = rows
            .into_iter()
            .filter_map(|row| match Pattern::parse(&row.pattern) {
                Ok(pattern) => Some(Group {
                    row,
                    pattern,
                    parent: None,
                }),
                Err(e) => {
                    tracing::error!(pattern = row.pattern, error = %e, "stored package group pattern does not parse");
                    None
                }
            })
            .collect();
        groups.sort_by(|a, b| a.row.pattern.cmp(&b.row.pattern));
        let strong: HashMap<Pattern, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.pattern.clone(), i))
            .collect();
        let mut weak: HashMap<Pattern, Vec<usize>> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            weak.entry(g.pattern.folded()).or_default().push(i);
        }
        let parents: Vec<Option<usize>> = groups
            .iter()
            .map(|g| {
                g.pattern
                    .generalizations()
                    .iter()
                    .find_map(|p| strong.get(p).copied())
            })
            .collect();
        for (g, parent) in groups.iter_mut().zip(parents) {
            g.parent = parent;
        }
        let by_id: HashMap<i64, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.row.id, i))
            .collect();
        let mut allowed_sets: HashMap<(usize, GroupRestriction), HashSet<i64>> = HashMap::new();
        for a in allowed {
            if let Some(&i) = by_id.get(&a.group_id) {
                allowed_sets
                    .entry((i, a.restriction))
                    .or_default()
                    .insert(a.repository_id);
            }
        }
        GroupIndex {
            revision,
            groups,
            strong,
            weak,
            allowed: allowed_sets,
        }
    }

    pub fn get(&self, pattern: &Pattern) -> Option<usize> {
        self.strong.get(pattern).copied()
    }

    /// The group a package belongs to: its most specific strong match, unless a group matching
    /// it only weakly (same name but for case or separators) is more specific: then that one,
    /// `Weak`. `None` only when the domain has no root group.
    pub fn associate(&self, key: &PackageKey) -> Option<(usize, AssociationType)> {
        let exact = Pattern::of_package(key);
        let strong = std::iter::once(exact.clone())
            .chain(exact.generalizations())
            .find_map(|p| self.strong.get(&p).copied());
        let folded = Pattern::of_package(&folded_key(key));
        let weak = std::iter::once(folded.clone())
            .chain(folded.generalizations())
            .find_map(|p| self.weak.get(&p).map(|v| (p, v)));
        match (strong, weak) {
            (Some(s), Some((p, candidates))) => {
                if p.rank() > self.groups[s].pattern.rank() && !candidates.contains(&s) {
                    Some((candidates[0], AssociationType::Weak))
                } else {
                    Some((s, AssociationType::Strong))
                }
            }
            (Some(s), None) => Some((s, AssociationType::Strong)),
            (None, Some((_, candidates))) => Some((candidates[0], AssociationType::Weak)),
            (None, None) => None,
        }
    }

    /// The mode of `restriction` for group `g`: its own, or the first non-INHERIT one up its
    /// chain. A chain that ends in INHERIT (a root without a mode, which updates refuse) allows.
    pub fn effective(&self, g: usize, restriction: GroupRestriction) -> Effective {
        let mut at = g;
        loop {
            let mode = self.groups[at].row.mode(restriction);
            if mode != GroupMode::Inherit {
                return Effective { mode, from: at };
            }
            match self.groups[at].parent {
                Some(p) => at = p,
                None => {
                    return Effective {
                        mode: GroupMode::Allow,
                        from: at,
                    }
                }
            }
        }
    }

    /// Whether repository `repository_id` is in group `g`'s list for `restriction`.
    pub fn is_allowed(&self, g: usize, restriction: GroupRestriction, repository_id: i64) -> bool {
        self.allowed
            .get(&(g, restriction))
            .is_some_and(|s| s.contains(&repository_id))
    }

    /// How many repositories group `g`'s own list for `restriction` holds.
    pub fn allowed_count(&self, g: usize, restriction: GroupRestriction) -> usize {
        self.allowed.get(&(g, restriction)).map_or(0, HashSet::len)
    }

    /// Direct children of `g`, by pattern.
    pub fn children(&self, g: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.groups.len()).filter(move |&i| self.groups[i].parent == Some(g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_metadata::PackageFormat;

    fn row(id: i64, pattern: &str, modes: [GroupMode; 3]) -> PackageGroupRow {
        PackageGroupRow {
            id,
            domain_id: 1,
            pattern: Pattern::parse(pattern).unwrap().to_string(),
            created_ms: 0,
            contact_info: None,
            description: None,
            modes,
        }
    }

    const INHERIT: [GroupMode; 3] = [GroupMode::Inherit; 3];

    fn index(patterns: &[&str]) -> GroupIndex {
        let mut rows = vec![row(0, "/*", [GroupMode::Allow; 3])];
        for (i, p) in patterns.iter().enumerate() {
            rows.push(row(i as i64 + 1, p, INHERIT));
        }
        GroupIndex::build(1, rows, &[])
    }

    fn key(format: PackageFormat, ns: &str, name: &str) -> PackageKey {
        PackageKey {
            format,
            namespace: ns.into(),
            name: name.into(),
        }
    }

    fn assoc(ix: &GroupIndex, k: &PackageKey) -> (String, AssociationType) {
        let (g, t) = ix.associate(k).unwrap();
        (ix.groups[g].row.pattern.clone(), t)
    }

    fn strong(p: &str) -> (String, AssociationType) {
        (p.to_string(), AssociationType::Strong)
    }

    fn weak(p: &str) -> (String, AssociationType) {
        (p.to_string(), AssociationType::Weak)
    }

    #[test]
    fn most_specific_match_wins() {
        use PackageFormat::*;
        let ix = index(&[
            "/npm/*",
            "/npm/space/*",
            "/npm/space/anycompany~",
            "/npm/space/anycompany-ui~",
            "/npm/space/anycompany-ui-kit$",
            "/maven/com.acme~",
            "/maven/com.acme.tools~",
            "/maven/com.acme/*",
        ]);
        let n = |name| key(Npm, "space", name);
        assert_eq!(
            assoc(&ix, &n("anycompany-ui-kit")),
            strong("/npm/space/anycompany-ui-kit$")
        );
        assert_eq!(
            assoc(&ix, &n("anycompany-ui-grid")),
            strong("/npm/space/anycompany-ui~")
        );
        assert_eq!(
            assoc(&ix, &n("anycompany-core")),
            strong("/npm/space/anycompany~")
        );
        assert_eq!(assoc(&ix, &n("anycompanyx")), strong("/npm/space/*"));
        assert_eq!(assoc(&ix, &key(Npm, "", "left-pad")), strong("/npm/*"));
        assert_eq!(assoc(&ix, &key(Pypi, "", "requests")), strong("/*"));
        let m = |ns| key(Maven, ns, "lib");
        assert_eq!(assoc(&ix, &m("com.acme")), strong("/maven/com.acme/*"));
        assert_eq!(
            assoc(&ix, &m("com.acme.tools.x")),
            strong("/maven/com.acme.tools~")
        );
        assert_eq!(assoc(&ix, &m("com.acme.web")), strong("/maven/com.acme~"));
        assert_eq!(assoc(&ix, &m("com.acmeweb")), strong("/*"));
    }

    #[test]
    fn parents_are_the_closest_more_general_group() {
        let ix = index(&[
            "/npm/*",
            "/npm/space/*",
            "/npm/space/anycompany~",
            "/npm/space/anycompany-ui-kit$",
            "/maven/com.acme~",
            "/maven/com.acme/*",
            "/pypi//requests$",
        ]);
        let parent = |p: &str| {
            let g = ix.get(&Pattern::parse(p).unwrap()).unwrap();
            ix.groups[g]
                .parent
                .map(|q| ix.groups[q].row.pattern.clone())
        };
        assert_eq!(parent("/*"), None);
        assert_eq!(parent("/npm/*").as_deref(), Some("/*"));
        assert_eq!(parent("/npm/space/*").as_deref(), Some("/npm/*"));
        assert_eq!(
            parent("/npm/space/anycompany~").as_deref(),
            Some("/npm/space/*")
        );
        assert_eq!(
            parent("/npm/space/anycompany-ui-kit$").as_deref(),
            Some("/npm/space/anycompany~")
        );
        assert_eq!(
            parent("/maven/com.acme/*").as_deref(),
            Some("/maven/com.acme~")
        );
        assert_eq!(parent("/maven/com.acme~").as_deref(), Some("/*"));
        assert_eq!(parent("/pypi//requests$").as_deref(), Some("/*"));
        let root = ix.get(&Pattern::All).unwrap();
        let children: Vec<&str> = ix
            .children(root)
            .map(|c| ix.groups[c].row.pattern.as_str())
            .collect();
        assert_eq!(children, ["/maven/com.acme~", "/npm/*", "/pypi//requests$"]);
    }

    #[test]
    fn weak_matches_are_associated_weakly() {
        use PackageFormat::*;
        let ix = index(&["/npm/*", "/npm//lodash$", "/npm/acme/ui~", "/pypi//django~"]);
        assert_eq!(assoc(&ix, &key(Npm, "", "lodash")), strong("/npm//lodash$"));
        assert_eq!(assoc(&ix, &key(Npm, "", "Lodash")), weak("/npm//lodash$"));
        assert_eq!(assoc(&ix, &key(Npm, "", "lo-dash")), strong("/npm/*"));
        assert_eq!(assoc(&ix, &key(Npm, "", "lodash-es")), strong("/npm/*"));
        assert_eq!(
            assoc(&ix, &key(Npm, "ACME", "ui.kit")),
            weak("/npm/acme/ui~")
        );
        assert_eq!(assoc(&ix, &key(Npm, "acme", "UI")), weak("/npm/acme/ui~"));
        assert_eq!(
            assoc(&ix, &key(Npm, "acme", "ui-kit")),
            strong("/npm/acme/ui~")
        );
        // A less specific weak match does not beat a strong one.
        let ix = index(&["/npm/acme/*", "/npm/Acme/*", "/npm/acme/kit$"]);
        assert_eq!(
            assoc(&ix, &key(Npm, "acme", "kit")),
            strong("/npm/acme/kit$")
        );
        assert_eq!(assoc(&ix, &key(Npm, "Acme", "kit")), weak("/npm/acme/kit$"));
        assert_eq!(
            assoc(&ix, &key(Npm, "Acme", "other")),
            strong("/npm/Acme/*")
        );
        // Separators only (a `-` where the group has `_`).
        let ix = index(&["/npm//my_pkg$"]);
        assert_eq!(assoc(&ix, &key(Npm, "", "my-pkg")), weak("/npm//my_pkg$"));
        assert_eq!(assoc(&ix, &key(Npm, "", "my_pkg")), strong("/npm//my_pkg$"));
    }

    #[test]
    fn effective_modes_follow_inheritance() {
        use GroupMode::*;
        let rows = vec![
            row(1, "/*", [Allow, Block, Allow]),
            row(2, "/npm/*", [Block, Inherit, Inherit]),
            row(
                3,
                "/npm/acme/*",
                [Inherit, AllowSpecificRepositories, Inherit],
            ),
            row(4, "/npm/acme/kit$", [Inherit, Inherit, Block]),
        ];
        let allowed = [AllowedRepository {
            group_id: 3,
            restriction: GroupRestriction::ExternalUpstream,
            repository_id: 42,
            repository_name: "r".into(),
        }];
        let ix = GroupIndex::build(7, rows, &allowed);
        let g = |p: &str| ix.get(&Pattern::parse(p).unwrap()).unwrap();
        let kit = g("/npm/acme/kit$");
        let e = ix.effective(kit, GroupRestriction::Publish);
        assert_eq!((e.mode, e.from), (Block, g("/npm/*")));
        let e = ix.effective(kit, GroupRestriction::ExternalUpstream);
        assert_eq!(
            (e.mode, e.from),
            (AllowSpecificRepositories, g("/npm/acme/*"))
        );
        assert!(ix.is_allowed(e.from, GroupRestriction::ExternalUpstream, 42));
        assert!(!ix.is_allowed(e.from, GroupRestriction::ExternalUpstream, 41));
        assert!(!ix.is_allowed(kit, GroupRestriction::ExternalUpstream, 42));
        let e = ix.effective(kit, GroupRestriction::InternalUpstream);
        assert_eq!((e.mode, e.from), (Block, kit));
        let e = ix.effective(g("/npm/acme/*"), GroupRestriction::InternalUpstream);
        assert_eq!((e.mode, e.from), (Allow, g("/*")));
    }

    #[test]
    fn association_is_fast_with_ten_thousand_groups() {
        // Not a timing assertion: the lookups a package costs do not depend on the group count.
        let mut rows = vec![row(0, "/*", [GroupMode::Allow; 3])];
        for i in 0..10_000 {
            rows.push(row(i + 1, &format!("/npm/scope{i}/pkg{i}~"), INHERIT));
        }
        let ix = GroupIndex::build(1, rows, &[]);
        let k = key(PackageFormat::Npm, "scope9999", "pkg9999-extra");
        assert_eq!(assoc(&ix, &k), strong("/npm/scope9999/pkg9999~"));
        let candidates = Pattern::of_package(&k).generalizations().len() + 1;
        assert!(candidates < 16, "{candidates}");
    }
}
