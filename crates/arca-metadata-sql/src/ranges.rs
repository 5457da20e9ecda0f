//! Keyset limits and byte-order prefix ranges.

use crate::Stmt;

/// A page size as bound in `LIMIT ?`.
pub fn sql_limit(limit: u32) -> i64 {
    i64::from(limit)
}

/// The smallest string greater than every string starting with `prefix`, in byte order; `None`
/// when there is none (empty prefix, or a prefix made only of `char::MAX`).
///
/// Byte order of UTF-8 is code point order, so incrementing the last code point that can be
/// incremented (skipping the surrogate gap) and dropping what follows it gives the bound.
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Appends ` AND <column> >= ? [AND <column> < ?]`: rows whose `column` starts with `prefix`, as a
/// range in byte order (index-friendly, and free of `LIKE` wildcards). No-op for an empty prefix.
///
/// The column must compare in byte order (SQLite `BINARY`, PostgreSQL `COLLATE "C"`).
pub fn push_prefix_filter(qb: &mut Stmt, column: &str, prefix: &str) {
    if prefix.is_empty() {
        return;
    }
    qb.push(format_args!(" AND {column} >= "))
        .push_bind(prefix.to_owned());
    if let Some(upper) = prefix_upper_bound(prefix) {
        qb.push(format_args!(" AND {column} < ")).push_bind(upper);
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn upper_bound_increments_last_code_point() {
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_upper_bound("a%").as_deref(), Some("a&"));
        assert_eq!(prefix_upper_bound("a\u{7F}").as_deref(), Some("a\u{80}"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}\u{10FFFF}"), None);
    }

    #[test]
    fn bound_brackets_every_extension_in_byte_order() {
        for prefix in ["a", "é", "z\u{10FFFF}", "\u{D7FF}", "_%"] {
            let upper = prefix_upper_bound(prefix).unwrap();
            for suffix in ["", "\0", "a", "\u{10FFFF}", "ÿÿÿ"] {
                let s = format!("{prefix}{suffix}");
                assert!(s.as_bytes() >= prefix.as_bytes());
                assert!(s.as_bytes() < upper.as_bytes(), "{s:?} < {upper:?}");
            }
        }
    }
}
