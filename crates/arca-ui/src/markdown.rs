//! A readme: Markdown rendered by pulldown-cmark, then sanitized by ammonia (no scripts, no event
//! handlers, no `javascript:` or `data:` links; links get `rel="noopener noreferrer nofollow"`).
//! Raw HTML in the Markdown passes through pulldown-cmark and is cleaned by ammonia like the rest.

use pulldown_cmark::{html, Options, Parser};

/// Safe HTML for a readme.
pub fn render(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&out)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_scripts_do_not() {
        let h = render("# Title\n\n*hi* [ok](https://example.test/)\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>");
        assert!(h.contains("<h1>Title</h1>"), "{h}");
        assert!(h.contains("<em>hi</em>"), "{h}");
        assert!(h.contains("href=\"https://example.test/\""), "{h}");
        for bad in ["<script", "javascript:", "onerror", "alert(1)"] {
            assert!(!h.contains(bad), "{bad} in {h}");
        }
    }
}
