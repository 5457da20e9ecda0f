//! Maven's version order, for the `<versions>` of a merged `maven-metadata.xml` and its
//! `<latest>`/`<release>`: Maven's `ComparableVersion` simplified (no nested lists). A version is
//! split at `.`, `-` and digit/letter changes; numbers compare numerically, qualifiers by rank
//! (`alpha` < `beta` < `milestone` < `rc`/`cr` < `snapshot` < release (`""`, `ga`, `final`) <
//! `sp` < anything else, alphabetically); a missing item counts as `0` or the release.

use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros.
    Number(String),
    /// (rank, text): see the module doc.
    Qualifier(u8, String),
}

const RELEASE: u8 = 5;

fn qualifier(s: &str) -> Item {
    let s = s.to_ascii_lowercase();
    let canonical = match s.as_str() {
        "a" => "alpha",
        "b" => "beta",
        "m" => "milestone",
        "cr" => "rc",
        "ga" | "final" | "release" => "",
        other => other,
    };
    let rank = match canonical {
        "alpha" => 0,
        "beta" => 1,
        "milestone" => 2,
        "rc" => 3,
        "snapshot" => 4,
        "" => RELEASE,
        "sp" => 6,
        _ => 7,
    };
    Item::Qualifier(rank, canonical.to_string())
}

fn items(version: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    let flush = |current: &mut String, digits: bool, out: &mut Vec<Item>| {
        if current.is_empty() {
            return;
        }
        out.push(if digits {
            let n = current.trim_start_matches('0');
            Item::Number(if n.is_empty() { "0" } else { n }.to_string())
        } else {
            qualifier(current)
        });
        current.clear();
    };
    for c in version.chars() {
        if c == '.' || c == '-' {
            flush(&mut current, digits, &mut out);
            continue;
        }
        let d = c.is_ascii_digit();
        if !current.is_empty() && d != digits {
            flush(&mut current, digits, &mut out);
        }
        digits = d;
        current.push(c);
    }
    flush(&mut current, digits, &mut out);
    out
}

fn compare_item(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    use Item::*;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(Number(x)), Some(Number(y))) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Some(Number(_)), Some(Qualifier(..))) => Ordering::Greater,
        (Some(Qualifier(..)), Some(Number(_))) => Ordering::Less,
        (Some(Qualifier(r, x)), Some(Qualifier(s, y))) => r.cmp(s).then_with(|| x.cmp(y)),
        (Some(Number(x)), None) => {
            if x == "0" {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Some(Qualifier(r, _)), None) => r.cmp(&RELEASE),
        (None, Some(_)) => compare_item(b, a).reverse(),
    }
}

/// Maven's order of two versions (ties broken by the text, so sorting is deterministic).
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (x, y) = (items(a), items(b));
    (0..x.len().max(y.len()))
        .map(|i| compare_item(x.get(i), y.get(i)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maven_order() {
        let ordered = [
            "1.0-alpha-1",
            "1.0-beta",
            "1.0-M2",
            "1.0-rc1",
            "1.0-SNAPSHOT",
            "1",
            "1.0",
            "1.0-sp1",
            "1.0.1",
            "1.1",
            "1.9",
            "1.10",
            "2.0",
        ];
        for w in ordered.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]), Ordering::Greater);
        }
        assert_eq!(compare("1.0.0", "1.0.0"), Ordering::Equal);
        // Trailing zeros compare equal; the text breaks the tie.
        assert_eq!(compare("1.0", "1.0.0"), Ordering::Less);
        let mut v = vec!["2.0", "1.10", "1.9", "1.0-rc1", "1.0"];
        v.sort_by(|a, b| compare(a, b));
        assert_eq!(v, ["1.0-rc1", "1.0", "1.9", "1.10", "2.0"]);
    }
}
