//! Merging one element into an XML configuration file (Maven's `settings.xml`, `NuGet.Config`)
//! without rewriting the rest: the file is scanned with quick-xml for byte offsets, and only the
//! matching element is replaced (or the new one inserted before its container's end tag). Comments,
//! order, formatting and every other element stay byte for byte.

use anyhow::{bail, Context};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Which child of the container is "the same" element as the fragment.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// Its sub-element `name` has this text (Maven: `<server><id>X</id>…`).
    ChildText(&'a str, &'a str),
    /// Its own text (Maven: `<activeProfile>X</activeProfile>`).
    OwnText(&'a str),
    /// Its attribute has this value (NuGet: `<add key="X" …/>`).
    Attr(&'a str, &'a str),
    /// Any child with the element name (NuGet's credentials: `<Source_x0020_Name>`).
    Tag,
}

/// Where the fragment goes: `root` → `container` → `child`.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub root: &'a str,
    pub container: &'a str,
    pub child: &'a str,
}

/// A candidate child being read.
struct Candidate {
    start: usize,
    depth: usize,
    matches: bool,
    /// Reading the text that decides (inside the key's sub-element, or the child itself).
    capture: bool,
    text: String,
}

fn name_of(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

fn attr_is(e: &BytesStart<'_>, name: &str, value: &str) -> bool {
    e.attributes().flatten().any(|a| {
        a.key.as_ref() == name.as_bytes() && a.unescape_value().is_ok_and(|v| v.as_ref() == value)
    })
}

fn starts_matching(e: &BytesStart<'_>, key: Key<'_>) -> bool {
    match key {
        Key::Attr(n, v) => attr_is(e, n, v),
        Key::Tag => true,
        Key::ChildText(..) | Key::OwnText(_) => false,
    }
}

/// What the scan found.
#[derive(Default)]
struct Found {
    root_end: Option<usize>,
    container_end: Option<usize>,
    /// An empty `<container/>`: its range.
    empty_container: Option<(usize, usize)>,
    matched: Option<(usize, usize)>,
}

fn scan(doc: &str, place: Place<'_>, key: Key<'_>) -> anyhow::Result<Found> {
    let mut reader = Reader::from_str(doc);
    let mut stack: Vec<String> = Vec::new();
    let mut found = Found::default();
    let mut cand: Option<Candidate> = None;
    let at_container = |stack: &[String]| {
        stack.len() == 2 && stack[0] == place.root && stack[1] == place.container
    };
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .with_context(|| format!("not well-formed XML near byte {before}"))?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                let name = name_of(&e);
                if at_container(&stack) && name == place.child && found.matched.is_none() {
                    cand = Some(Candidate {
                        start: before,
                        depth: stack.len() + 1,
                        matches: starts_matching(&e, key),
                        capture: matches!(key, Key::OwnText(_)),
                        text: String::new(),
                    });
                } else if let (Some(c), Key::ChildText(sub, _)) = (&mut cand, key) {
                    c.capture = stack.len() == c.depth && name == sub;
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = name_of(&e);
                if at_container(&stack) && name == place.child && found.matched.is_none() {
                    if starts_matching(&e, key) {
                        found.matched = Some((before, after));
                    }
                } else if stack.len() == 1 && stack[0] == place.root && name == place.container {
                    found.empty_container = Some((before, after));
                }
            }
            Event::Text(t) => {
                if let Some(c) = cand.as_mut().filter(|c| c.capture) {
                    c.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::CData(t) => {
                if let Some(c) = cand.as_mut().filter(|c| c.capture) {
                    c.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(_) => {
                let closing = stack.pop();
                if let Some(c) = &mut cand {
                    if stack.len() + 1 == c.depth {
                        let wanted = match key {
                            Key::ChildText(_, v) | Key::OwnText(v) => c.text.trim() == v,
                            _ => c.matches,
                        };
                        if wanted {
                            found.matched = Some((c.start, after));
                        }
                        cand = None;
                    } else if c.capture && !matches!(key, Key::OwnText(_)) {
                        c.capture = false;
                    }
                }
                if closing.as_deref() == Some(place.container) && stack.len() == 1 {
                    found.container_end = found.container_end.or(Some(before));
                }
                if closing.as_deref() == Some(place.root) && stack.is_empty() {
                    found.root_end = Some(before);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(found)
}

/// The indentation of the line `at` is on, if only whitespace precedes `at` on it.
fn line_indent(doc: &str, at: usize) -> Option<(usize, &str)> {
    let line_start = doc[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = &doc[line_start..at];
    indent
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some((line_start, indent))
}

/// `text` inserted before the end tag at `at`, on its own line, indented one step deeper.
fn insert_before_end(doc: &str, at: usize, text: &str) -> String {
    match line_indent(doc, at) {
        Some((line_start, indent)) => {
            let inner = format!("{indent}  ");
            let text = text.replace('\n', &format!("\n{inner}"));
            format!(
                "{}{inner}{text}\n{}",
                &doc[..line_start],
                &doc[line_start..]
            )
        }
        None => format!("{}{text}{}", &doc[..at], &doc[at..]),
    }
}

/// `doc` with `fragment` as the child of `place` that `key` picks: that element replaced, else the
/// fragment appended to the container (the container created when missing). An empty document
/// becomes `skeleton` with the fragment merged in; `skeleton` must have an empty `place.root`.
pub fn upsert(
    doc: &str,
    place: Place<'_>,
    key: Key<'_>,
    fragment: &str,
    skeleton: &str,
) -> anyhow::Result<String> {
    if doc.trim().is_empty() {
        return upsert(skeleton, place, key, fragment, "");
    }
    let found = scan(doc, place, key)?;
    if let Some((start, end)) = found.matched {
        // Indented like the element it replaces, so that running it again changes nothing.
        let fragment = match line_indent(doc, start) {
            Some((_, indent)) => fragment.replace('\n', &format!("\n{indent}")),
            None => fragment.to_string(),
        };
        return Ok(format!("{}{fragment}{}", &doc[..start], &doc[end..]));
    }
    if let Some(at) = found.container_end {
        return Ok(insert_before_end(doc, at, fragment));
    }
    let container = format!(
        "<{c}>\n  {}\n</{c}>",
        fragment.replace('\n', "\n  "),
        c = place.container
    );
    if let Some((start, end)) = found.empty_container {
        return Ok(format!("{}{container}{}", &doc[..start], &doc[end..]));
    }
    match found.root_end {
        Some(at) => Ok(insert_before_end(doc, at, &container)),
        None => bail!("the file has no <{}> element", place.root),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVERS: Place<'static> = place("settings", "servers", "server");

    const fn place<'a>(root: &'a str, container: &'a str, child: &'a str) -> Place<'a> {
        Place {
            root,
            container,
            child,
        }
    }

    /// `upsert` into a document that exists (no skeleton).
    fn merge(doc: &str, place: Place<'_>, key: Key<'_>, fragment: &str) -> String {
        upsert(doc, place, key, fragment, "").unwrap()
    }

    /// A Maven `<server>` keyed by its `<id>`.
    fn server(doc: &str, id: &str) -> String {
        let fragment = format!("<server><id>{id}</id></server>");
        merge(doc, SERVERS, Key::ChildText("id", id), &fragment)
    }

    #[test]
    fn a_matching_element_is_replaced_and_the_rest_kept_byte_for_byte() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- mine -->\n<settings>\n  <servers>\n    <server><id>other</id><password>p</password></server>\n    <server>\n      <id>acme</id>\n      <password>old</password>\n    </server>\n  </servers>\n</settings>\n";
        let out = merge(
            doc,
            SERVERS,
            Key::ChildText("id", "acme"),
            "<server><id>acme</id><password>new</password></server>",
        );
        assert_eq!(out, "<?xml version=\"1.0\"?>\n<!-- mine -->\n<settings>\n  <servers>\n    <server><id>other</id><password>p</password></server>\n    <server><id>acme</id><password>new</password></server>\n  </servers>\n</settings>\n");
    }

    #[test]
    fn a_new_element_goes_last_in_its_container_which_is_created_if_needed() {
        let doc = "<settings>\n  <servers>\n    <server><id>other</id></server>\n  </servers>\n</settings>\n";
        let out = server(doc, "acme");
        assert_eq!(out, "<settings>\n  <servers>\n    <server><id>other</id></server>\n    <server><id>acme</id></server>\n  </servers>\n</settings>\n");
        let mirrors = place("settings", "mirrors", "mirror");
        let out = merge(
            &out,
            mirrors,
            Key::ChildText("id", "acme"),
            "<mirror><id>acme</id></mirror>",
        );
        assert!(out.ends_with("  </servers>\n  <mirrors>\n    <mirror><id>acme</id></mirror>\n  </mirrors>\n</settings>\n"), "{out}");
        let out = server("<settings><servers/></settings>", "a");
        assert_eq!(
            out,
            "<settings><servers>\n  <server><id>a</id></server>\n</servers></settings>"
        );
    }

    #[test]
    fn keys_by_own_text_attribute_and_tag() {
        let active = place("settings", "activeProfiles", "activeProfile");
        let doc = "<settings><activeProfiles><activeProfile>x</activeProfile><activeProfile>acme</activeProfile></activeProfiles></settings>";
        let out = merge(
            doc,
            active,
            Key::OwnText("acme"),
            "<activeProfile>acme</activeProfile>",
        );
        assert_eq!(out, doc);
        let sources = place("configuration", "packageSources", "add");
        let doc = "<configuration><packageSources><add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" /><add key=\"acme/r\" value=\"old\" /></packageSources></configuration>";
        let out = merge(
            doc,
            sources,
            Key::Attr("key", "acme/r"),
            "<add key=\"acme/r\" value=\"new\" />",
        );
        assert_eq!(out, doc.replace("old", "new"));
        let creds = place("configuration", "packageSourceCredentials", "acme_x002F_r");
        let out = upsert(
            "",
            creds,
            Key::Tag,
            "<acme_x002F_r><add key=\"Username\" value=\"aws\" /></acme_x002F_r>",
            "<configuration>\n</configuration>\n",
        )
        .unwrap();
        assert_eq!(out, "<configuration>\n  <packageSourceCredentials>\n    <acme_x002F_r><add key=\"Username\" value=\"aws\" /></acme_x002F_r>\n  </packageSourceCredentials>\n</configuration>\n");
    }

    #[test]
    fn malformed_xml_is_refused() {
        assert!(upsert(
            "<settings><servers></settings>",
            SERVERS,
            Key::Tag,
            "<server/>",
            ""
        )
        .is_err());
        assert!(upsert("<other/>", SERVERS, Key::Tag, "<server/>", "").is_err());
    }
}
