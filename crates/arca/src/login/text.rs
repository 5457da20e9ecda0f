//! Line-preserving edits of the plain-text configuration files tools keep: `key=value` files
//! (`.npmrc`, `gradle.properties`) and INI files (`pip.conf`, `.pypirc`, and `~/.aws/*` read).
//! Everything the user wrote stays as it was (comments, order, other keys); only the lines of the
//! key that is set change.

/// The value of `key` in a `key=value` file (the last assignment wins, as for npm).
#[cfg(test)]
pub fn kv_get(text: &str, key: &str) -> Option<String> {
    text.lines()
        .rev()
        .find_map(|l| kv_split(l).filter(|(k, _)| *k == key).map(|(_, v)| v))
        .map(str::to_string)
}

fn kv_split(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with(';') {
        return None;
    }
    t.split_once('=').map(|(k, v)| (k.trim(), v.trim()))
}

/// `text` with `key` set to `value`: its lines replaced by one (at the first one's place), or the
/// line appended.
pub fn kv_set(text: &str, key: &str, value: &str) -> String {
    let line = format!("{key}={value}");
    let mut out = Vec::new();
    let mut placed = false;
    for l in text.lines() {
        if kv_split(l).is_some_and(|(k, _)| k == key) {
            if !placed {
                out.push(line.clone());
                placed = true;
            }
        } else {
            out.push(l.to_string());
        }
    }
    if !placed {
        out.push(line);
    }
    join_lines(out)
}

fn join_lines(lines: Vec<String>) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// One section of an INI file: the line range of its body (after the header).
struct Section {
    body: std::ops::Range<usize>,
}

fn header_name(line: &str) -> Option<&str> {
    let t = line.trim();
    t.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

fn find_section(lines: &[&str], name: &str) -> Option<Section> {
    let start = lines.iter().position(|l| header_name(l) == Some(name))? + 1;
    let end = lines[start..]
        .iter()
        .position(|l| header_name(l).is_some())
        .map_or(lines.len(), |p| start + p);
    Some(Section { body: start..end })
}

/// Splits `key = value` or `key: value` (configparser's delimiters), lowercasing the key.
fn ini_split(line: &str) -> Option<(String, &str)> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
        return None;
    }
    let at = t.find(['=', ':'])?;
    Some((t[..at].trim().to_ascii_lowercase(), t[at + 1..].trim()))
}

/// The line range of `key` in `section` (its line and continuation lines).
fn find_key(lines: &[&str], section: &Section, key: &str) -> Option<std::ops::Range<usize>> {
    let key = key.to_ascii_lowercase();
    let at = section
        .body
        .clone()
        .find(|&i| ini_split(lines[i]).is_some_and(|(k, _)| k == key))?;
    let mut end = at + 1;
    while end < section.body.end
        && lines[end].starts_with([' ', '\t'])
        && !lines[end].trim().is_empty()
    {
        end += 1;
    }
    Some(at..end)
}

/// The value of `key` in `[section]`, continuation lines joined with `\n`.
pub fn ini_get(text: &str, section: &str, key: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let s = find_section(&lines, section)?;
    let range = find_key(&lines, &s, key)?;
    let (_, first) = ini_split(lines[range.start])?;
    let mut parts = vec![first.to_string()];
    parts.extend(
        lines[range.start + 1..range.end]
            .iter()
            .map(|l| l.trim().to_string()),
    );
    Some(
        parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The whitespace-separated items of a list value (`extra-index-url`, `index-servers`).
pub fn ini_list(text: &str, section: &str, key: &str) -> Vec<String> {
    ini_get(text, section, key)
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// `text` with `key` in `[section]` set to `values` (one item: `key = v`; several: one per
/// indented continuation line), the section created at the end when missing.
pub fn ini_set(text: &str, section: &str, key: &str, values: &[String]) -> String {
    let mut new = vec![match values {
        [one] => format!("{key} = {one}"),
        _ => format!("{key} ="),
    }];
    if values.len() > 1 {
        new.extend(values.iter().map(|v| format!("    {v}")));
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match find_section(&lines, section) {
        Some(s) => match find_key(&lines, &s, key) {
            Some(range) => {
                out.splice(range, new);
            }
            None => {
                // After the section's last non-blank line.
                let at = s
                    .body
                    .clone()
                    .rev()
                    .find(|&i| !lines[i].trim().is_empty())
                    .map_or(s.body.start, |i| i + 1);
                out.splice(at..at, new);
            }
        },
        None => {
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push(format!("[{section}]"));
            out.extend(new);
        }
    }
    join_lines(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_set_replaces_in_place_and_keeps_the_rest() {
        let text = "# mine\nregistry=https://old/\n//old/:_authToken=x\nfund=false\n";
        let out = kv_set(text, "registry", "http://new/");
        assert_eq!(
            out,
            "# mine\nregistry=http://new/\n//old/:_authToken=x\nfund=false\n"
        );
        let out = kv_set(&out, "@acme:registry", "http://new/");
        assert!(out.ends_with("fund=false\n@acme:registry=http://new/\n"));
        assert_eq!(
            kv_get(&out, "@acme:registry").as_deref(),
            Some("http://new/")
        );
        assert_eq!(kv_set("", "a", "b"), "a=b\n");
    }

    #[test]
    fn ini_set_edits_one_key_of_one_section() {
        let text = "[global]\ntimeout = 60\nindex-url = https://pypi.org/simple\n\n[install]\nuser = true\n";
        let out = ini_set(text, "global", "index-url", &["http://arca/simple/".into()]);
        assert_eq!(
            out,
            "[global]\ntimeout = 60\nindex-url = http://arca/simple/\n\n[install]\nuser = true\n"
        );
        let out = ini_set(&out, "install", "no-cache-dir", &["false".into()]);
        assert!(
            out.ends_with("[install]\nuser = true\nno-cache-dir = false\n"),
            "{out}"
        );
        let out = ini_set("", "global", "k", &["v".into()]);
        assert_eq!(out, "[global]\nk = v\n");
    }

    #[test]
    fn ini_lists_span_continuation_lines() {
        let text =
            "[global]\nextra-index-url =\n    http://a/simple/\n    http://b/simple/\ntimeout: 5\n";
        assert_eq!(
            ini_list(text, "global", "extra-index-url"),
            ["http://a/simple/", "http://b/simple/"]
        );
        assert_eq!(ini_get(text, "global", "TIMEOUT").as_deref(), Some("5"));
        let out = ini_set(
            text,
            "global",
            "extra-index-url",
            &["http://a/simple/".into(), "http://c/simple/".into()],
        );
        assert_eq!(
            out,
            "[global]\nextra-index-url =\n    http://a/simple/\n    http://c/simple/\ntimeout: 5\n"
        );
        assert_eq!(ini_get(text, "nothing", "k"), None);
    }
}
