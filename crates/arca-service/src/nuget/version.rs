//! NuGet versions (§B3.6): `Major[.Minor[.Patch[.Revision]]][-prerelease][+metadata]`, normalized
//! as NuGet does (leading zeros stripped, at least three parts, a zero fourth part dropped, build
//! metadata dropped; lowercased as the flat container names them), and NuGet's version order.

use std::cmp::Ordering;

/// The normalized form of `version`, or why it is not a NuGet version.
pub fn normalize_version(version: &str) -> Result<String, String> {
    let invalid = || {
        format!("'{version}' is not a valid NuGet version (Major.Minor.Patch[.Revision][-prerelease][+metadata]).")
    };
    let (no_build, build) = match version.split_once('+') {
        Some((v, b)) => (v, Some(b)),
        None => (version, None),
    };
    let (release, pre) = match no_build.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (no_build, None),
    };
    let labels_ok = |s: &str| {
        s.split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    if version.len() > 128
        || pre.is_some_and(|p| !labels_ok(p))
        || build.is_some_and(|b| !labels_ok(b))
    {
        return Err(invalid());
    }
    let parts: Vec<&str> = release.split('.').collect();
    if !(1..=4).contains(&parts.len()) {
        return Err(invalid());
    }
    let mut numbers = Vec::with_capacity(4);
    for p in &parts {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        numbers.push(p.parse::<u32>().map_err(|_| invalid())?);
    }
    while numbers.len() < 3 {
        numbers.push(0);
    }
    if numbers.len() == 4 && numbers[3] == 0 {
        numbers.pop();
    }
    let mut out = numbers
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".");
    if let Some(p) = pre {
        out.push('-');
        out.push_str(p);
    }
    Ok(out.to_lowercase())
}

/// Whether a version (as pushed) is SemVer 2.0 only: a dotted prerelease or build metadata.
pub fn is_semver2(version: &str) -> bool {
    let no_build = version.split('+').next().unwrap_or(version);
    version.contains('+')
        || no_build
            .split_once('-')
            .is_some_and(|(_, p)| p.contains('.'))
}

/// NuGet's order of two normalized versions: numeric parts, then a release above its
/// prereleases, then prerelease labels one by one (numbers numerically and below text, text
/// ignoring case, fewer labels first).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (Vec<u64>, Option<String>) {
        let v = v.split('+').next().unwrap_or(v);
        let (r, p) = match v.split_once('-') {
            Some((r, p)) => (r, Some(p.to_lowercase())),
            None => (v, None),
        };
        let mut n: Vec<u64> = r.split('.').map(|x| x.parse().unwrap_or(0)).collect();
        n.resize(4, 0);
        (n, p)
    };
    let ((na, pa), (nb, pb)) = (split(a), split(b));
    na.cmp(&nb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let (lx, ly): (Vec<&str>, Vec<&str>) = (x.split('.').collect(), y.split('.').collect());
            for (l, r) in lx.iter().zip(&ly) {
                let o = match (l.parse::<u64>(), r.parse::<u64>()) {
                    (Ok(l), Ok(r)) => l.cmp(&r),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => l.cmp(r),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            lx.len().cmp(&ly.len())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_cases() {
        for (given, normal) in [
            ("1.0.0", "1.0.0"),
            ("1.01.1", "1.1.1"),
            ("1.0", "1.0.0"),
            ("1", "1.0.0"),
            ("1.0.0.0", "1.0.0"),
            ("1.0.0.4", "1.0.0.4"),
            ("12.0.03.0", "12.0.3"),
            ("1.0.7+r3456", "1.0.7"),
            ("1.0.0-Beta", "1.0.0-beta"),
            ("2.1.0-RC.1+sha.abc", "2.1.0-rc.1"),
            ("01.002.0003-alpha-1", "1.2.3-alpha-1"),
        ] {
            assert_eq!(normalize_version(given).as_deref(), Ok(normal), "{given}");
        }
        for bad in [
            "",
            "a",
            "1.0.0.0.0",
            "1..0",
            "1.0.x",
            "1.0.0-",
            "1.0.0-a..b",
            "1.0.0+",
            "1.0.0-a_b",
            "99999999999.0.0",
            " 1.0.0",
        ] {
            assert!(normalize_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn semver2_and_order() {
        assert!(is_semver2("1.0.0-rc.1"));
        assert!(is_semver2("1.0.0+build"));
        assert!(!is_semver2("1.0.0-rc1"));
        assert!(!is_semver2("1.0.0"));
        let mut v = vec![
            "1.0.0",
            "1.0.0-beta.2",
            "1.0.0-beta.10",
            "0.9.0",
            "1.0.0-alpha",
            "1.0.0.1",
            "1.0.0-beta",
        ];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            v,
            [
                "0.9.0",
                "1.0.0-alpha",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.10",
                "1.0.0",
                "1.0.0.1"
            ]
        );
    }
}
