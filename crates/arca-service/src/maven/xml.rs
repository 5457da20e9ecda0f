//! A small, bounded walk over an XML document (quick-xml): each element's path from the root and
//! its text, and escaping for the documents Arca writes. No DTDs, no entities beyond XML's five
//! and character references, a depth limit: anything else is refused as garbage (400).

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::ServiceError;

const MAX_DEPTH: usize = 32;

/// What the walk reports, in document order.
pub(crate) enum Step<'a> {
    /// An element opened; `path` ends with its local name.
    Open { path: &'a [String] },
    /// An element closed, with its text content (trimmed; child elements' text excluded).
    Close { path: &'a [String], text: &'a str },
}

/// Walks `bytes` (`what` names the document in errors), calling `f` per step.
pub(crate) fn walk(
    bytes: &[u8],
    what: &str,
    mut f: impl FnMut(Step<'_>) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let garbage =
        |why: String| ServiceError::validation(format!("{what} is not valid XML: {why}."));
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| garbage(e.to_string()))?;
        match event {
            Event::Start(_) | Event::Empty(_) if path.len() >= MAX_DEPTH => {
                return Err(garbage(format!("elements nest deeper than {MAX_DEPTH}")));
            }
            Event::Start(e) => {
                if path.is_empty() && seen_root {
                    return Err(garbage("more than one root element".into()));
                }
                seen_root = true;
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                texts.push(String::new());
                f(Step::Open { path: &path })?;
            }
            Event::Empty(e) => {
                if path.is_empty() && seen_root {
                    return Err(garbage("more than one root element".into()));
                }
                seen_root = true;
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                f(Step::Open { path: &path })?;
                f(Step::Close {
                    path: &path,
                    text: "",
                })?;
                path.pop();
            }
            Event::End(_) => {
                let text = texts.pop().unwrap_or_default();
                f(Step::Close {
                    path: &path,
                    text: text.trim(),
                })?;
                path.pop();
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| garbage(e.to_string()))?;
                match texts.last_mut() {
                    Some(cur) => cur.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(garbage("text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| garbage(e.to_string()))?;
                if let Some(cur) = texts.last_mut() {
                    cur.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| garbage(e.to_string()))? {
                    Some(c) => c,
                    None => match r.decode().map_err(|e| garbage(e.to_string()))?.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(garbage(format!("unknown entity &{other};"))),
                    },
                };
                if let Some(cur) = texts.last_mut() {
                    cur.push(c);
                }
            }
            Event::DocType(_) => {
                return Err(garbage("DOCTYPE declarations are not accepted".into()))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    if !seen_root {
        return Err(garbage("no root element".into()));
    }
    if let Some(open) = path.last() {
        return Err(garbage(format!("<{open}> is never closed")));
    }
    Ok(())
}

/// `text` with XML's special characters escaped.
pub(crate) fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// Appends `<name>text</name>` at `indent` spaces.
pub(crate) fn element(out: &mut String, indent: usize, name: &str, text: &str) {
    out.push_str(&" ".repeat(indent));
    out.push_str(&format!("<{name}>{}</{name}>\n", escape(text)));
}
