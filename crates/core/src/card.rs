//! Model cards: the README.md of a repo shown as the Hub shows it. Real cards mix markdown with
//! raw HTML (centred logos, rows of badge links, HTML tables, `<details>`), so the markdown is
//! rendered with its HTML kept, and the result goes through an allow-list sanitizer: structure
//! and harmless attributes stay; scripts, event handlers, styles, frames and forms go; links
//! keep only http(s) and mailto targets. Relative links and images point at the repo on the
//! configured endpoint, and images from any other site are held back (`data-offsite-src`)
//! until the person asks for them, so opening a card tells no third party their address.

use std::collections::{HashMap, HashSet};

use ammonia::{Url, UrlRelative};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The repo a card belongs to, for its relative links and images.
#[derive(Debug, Clone, Copy)]
pub struct CardSource<'a> {
    /// The Hub endpoint (`https://huggingface.co`, a mirror, a local server).
    pub endpoint: &'a str,
    /// `org/name`.
    pub repo: &'a str,
    /// The commit (or branch) the card was read at.
    pub revision: &'a str,
}

/// The safe HTML for `markdown`, without its YAML metadata block.
pub fn render(markdown: &str, source: &CardSource<'_>) -> String {
    sanitize(&markdown_to_html(markdown), source)
}

/// The attribute an off-site image's address is kept in; the view loads it on request.
pub const OFFSITE_SRC: &str = "data-offsite-src";

/// Markdown to HTML with the card's raw HTML passed through as it is (the sanitizer decides).
fn markdown_to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut in_metadata = false;
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Start(Tag::MetadataBlock(_)) => {
            in_metadata = true;
            None
        }
        Event::End(TagEnd::MetadataBlock(_)) => {
            in_metadata = false;
            None
        }
        _ if in_metadata => None,
        // A check box would be a form control; a character says the same.
        Event::TaskListMarker(done) => Some(Event::Text(if done { "☑ " } else { "☐ " }.into())),
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    out
}

/// Elements a card may use: structure and text formatting, nothing that runs, loads a page
/// or sends anything.
const TAGS: &[&str] = &[
    "a",
    "b",
    "blockquote",
    "br",
    "caption",
    "center",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// Elements removed with everything inside them (their content is code or a page, not text).
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "noscript", "template", "object", "embed",
    "form", "button", "textarea", "select",
];

/// Turns markdown-rendered HTML into HTML that is safe to put in the page.
///
/// Why ammonia: it parses with html5ever, the HTML5 parsing algorithm browsers use, so what it
/// checks is what the webview will see (no parser differences to smuggle markup through,
/// the mutation-XSS class of bugs); it is allow-list based, maintained by the rust-ammonia
/// organisation with a security policy, and it is what crates.io and docs.rs use for the
/// same job (READMEs). Its attribute filter lets relative URLs be resolved against the repo.
fn sanitize(html: &str, source: &CardSource<'_>) -> String {
    let urls = CardUrls::new(source);
    let tag_attributes: HashMap<&str, HashSet<&str>> = [
        ("a", &["href"][..]),
        ("img", &["src", "alt", "width", "height"]),
        ("table", &["width"]),
        ("td", &["width", "height", "colspan", "rowspan"]),
        ("th", &["width", "height", "colspan", "rowspan"]),
        ("ol", &["start"]),
    ]
    .into_iter()
    .map(|(tag, attributes)| (tag, attributes.iter().copied().collect()))
    .collect();
    let cleaned = ammonia::Builder::empty()
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(["align", "title"].into_iter().collect())
        .tag_attributes(tag_attributes)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        // The attribute filter has made every URL it kept absolute.
        .url_relative(UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(move |element, attribute, value| urls.rewrite(element, attribute, value))
        .clean(html)
        .to_string();
    // The serializer escapes `"` inside attribute values, so this text only occurs as the
    // start of an `src` the filter marked (in a text node it stays harmless text).
    cleaned.replace(
        &format!(" src=\"{OFFSITE_MARK}"),
        &format!(" {OFFSITE_SRC}=\""),
    )
}

/// What the attribute filter puts before an off-site image's address; renamed to
/// [`OFFSITE_SRC`] after sanitizing (ammonia's filter can change a value, not a name). It
/// parses as an absolute URL of an unknown scheme, so ammonia leaves it as it is.
const OFFSITE_MARK: &str = "modelshelf-offsite:";

/// Where a card's URLs lead, the way the Hub resolves them.
struct CardUrls {
    /// The repo's page, for `#fragment` links.
    page: Option<Url>,
    /// `<endpoint>/<repo>/blob/<revision>/`, for relative links.
    blob: Option<Url>,
    /// `<endpoint>/<repo>/resolve/<revision>/`, for relative images.
    resolve: Option<Url>,
    /// Hosts whose images load at once: the endpoint and its CDN.
    hub_domains: Vec<String>,
}

impl CardUrls {
    fn new(source: &CardSource<'_>) -> CardUrls {
        let endpoint = source.endpoint.trim_end_matches('/');
        // A branch such as `refs/pr/1` is one path segment in the Hub's URLs.
        let revision = source.revision.replace('/', "%2F");
        let base = |path: &str| Url::parse(&format!("{endpoint}/{}/{path}", source.repo)).ok();
        let host = Url::parse(endpoint)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        let mut hub_domains: Vec<String> = host.iter().cloned().collect();
        // The public Hub serves uploads and files from its other domain's CDN hosts.
        if host
            .as_deref()
            .is_some_and(|h| within(h, "huggingface.co") || within(h, "hf.co"))
        {
            hub_domains.extend(["huggingface.co".to_owned(), "hf.co".to_owned()]);
        }
        CardUrls {
            page: Url::parse(&format!("{endpoint}/{}", source.repo)).ok(),
            blob: base(&format!("blob/{revision}/")),
            resolve: base(&format!("resolve/{revision}/")),
            hub_domains,
        }
    }

    /// The value an attribute keeps (`None` drops it). Runs after ammonia has checked the
    /// schemes of absolute URLs; relative ones are resolved here.
    fn rewrite<'v>(
        &self,
        element: &str,
        attribute: &str,
        value: &'v str,
    ) -> Option<std::borrow::Cow<'v, str>> {
        match (element, attribute) {
            ("a", "href") => {
                let url = self.resolve_link(value)?;
                Some(url.to_string().into())
            }
            ("img", "src") => {
                let url = match Url::parse(value.trim()) {
                    Ok(absolute) => absolute,
                    Err(_) => self.resolve.as_ref()?.join(value.trim()).ok()?,
                };
                if !matches!(url.scheme(), "http" | "https") {
                    return None;
                }
                if self.is_hub(&url) {
                    Some(url.to_string().into())
                } else {
                    Some(format!("{OFFSITE_MARK}{url}").into())
                }
            }
            _ => Some(value.into()),
        }
    }

    fn resolve_link(&self, value: &str) -> Option<Url> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if let Ok(absolute) = Url::parse(value) {
            return Some(absolute);
        }
        let url = if let Some(fragment) = value.strip_prefix('#') {
            let mut page = self.page.clone()?;
            page.set_fragment(Some(fragment));
            page
        } else {
            self.blob.as_ref()?.join(value).ok()?
        };
        matches!(url.scheme(), "http" | "https").then_some(url)
    }

    fn is_hub(&self, url: &Url) -> bool {
        url.host_str()
            .is_some_and(|host| self.hub_domains.iter().any(|d| within(host, d)))
    }
}

/// `host` is `domain` or one of its subdomains.
fn within(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::{CardSource, render};

    const LOCAL: CardSource<'static> = CardSource {
        endpoint: "http://127.0.0.1:9999",
        repo: "acme/Acme-V3",
        revision: "main",
    };

    /// A card written the way DeepSeek-V3's and Qwen3's are, with hostile lines mixed in.
    const REAL_STYLE_CARD: &str = include_str!("../../../tests/ui/real-card.md");

    /// The rendered card the Chromium UI tests load, generated from [`REAL_STYLE_CARD`].
    const RENDERED_FOR_UI_TESTS: &str = "tests/ui/real-card.html";

    #[test]
    fn a_real_style_card_keeps_its_structure() {
        let html = render(REAL_STYLE_CARD, &LOCAL);
        assert!(!html.contains("license: mit"), "no metadata block: {html}");
        assert!(
            html.contains(r#"<div align="center">"#),
            "the centred logo and badge rows: {html}"
        );
        assert!(
            html.contains(r#"<img src="http://127.0.0.1:9999/acme/Acme-V3/resolve/main/figures/logo.png" width="60%" alt="Acme-V3">"#),
            "a relative image loads from the repo on the endpoint: {html}"
        );
        assert!(
            html.contains(r#"<a href="https://huggingface.co/acme" rel="noopener noreferrer"><img alt="Hugging Face" data-offsite-src="https://img.shields.io/badge/%F0%9F%A4%97%20Hugging%20Face-Acme-ffc107"></a>"#),
            "a badge keeps its link, its image waits: {html}"
        );
        assert!(
            html.contains(r#"<img alt="License" data-offsite-src="http://img.shields.io/badge/License-MIT-f5de53">"#),
            "a scheme-relative image is off-site too (with the endpoint's scheme): {html}"
        );
        assert!(
            html.contains(
                r#"<a href="http://127.0.0.1:9999/acme/Acme-V3/blob/main/LICENSE" rel="noopener noreferrer">"#
            ),
            "a relative link leads to the file on the Hub: {html}"
        );
        assert!(
            html.contains(r#"<a href="http://127.0.0.1:9999/acme/Acme-V3#2-evaluation""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="mailto:service@acme.test""#),
            "{html}"
        );
        assert!(html.contains("<h2>2. Evaluation</h2>"), "{html}");
        assert!(
            html.contains("<td>MMLU (Acc.)</td><td>78.4</td><td><strong>87.1</strong></td>"),
            "the markdown table: {html}"
        );
        assert!(
            html.contains(r#"<th align="right">Score</th>"#),
            "the HTML table: {html}"
        );
        assert!(
            html.contains("<details>\n<summary>Long-context results</summary>"),
            "{html}"
        );
        assert!(html.contains("☑ Weights released"), "{html}");
        assert!(html.contains("A styled paragraph."), "{html}");
    }

    #[test]
    fn a_real_style_card_stays_inert() {
        let html = render(REAL_STYLE_CARD, &LOCAL);
        for banned in [
            "<script",
            "__cardScriptRan",
            "onerror",
            "onclick",
            "javascript:",
            "style=",
            "<iframe",
            "evil.test",
            "<form",
            "<input",
            "<button",
            "Send",
            "target=",
            "<!--",
        ] {
            assert!(!html.contains(banned), "{banned} is gone: {html}");
        }
        assert!(
            html.contains("<a rel=\"noopener noreferrer\">A script link</a>"),
            "the link's text stays, its target goes: {html}"
        );
        assert!(
            !html.contains(r#" src="https://img.shields.io"#),
            "no third-party image loads by itself: {html}"
        );
    }

    #[test]
    fn images_on_the_hub_and_its_cdn_load_and_others_wait() {
        let hub = CardSource {
            endpoint: "https://huggingface.co",
            repo: "acme/m",
            revision: "refs/pr/1",
        };
        let html = render(
            "![a](https://cdn-uploads.huggingface.co/x.png) ![b](https://hf.co/y.png) \
             ![c](https://huggingface.co.evil.test/z.png) ![d](pics/d.png) ![e](/acme/m/resolve/main/e.png) \
             ![f](data:image/png;base64,AAAA) <img src=\"\\\\evil.test/g.png\" alt=g>",
            &hub,
        );
        for kept in [
            r#"src="https://cdn-uploads.huggingface.co/x.png""#,
            r#"src="https://hf.co/y.png""#,
            r#"src="https://huggingface.co/acme/m/resolve/refs%2Fpr%2F1/pics/d.png""#,
            r#"src="https://huggingface.co/acme/m/resolve/main/e.png""#,
            r#"data-offsite-src="https://huggingface.co.evil.test/z.png""#,
            r#"data-offsite-src="https://evil.test/g.png""#,
        ] {
            assert!(html.contains(kept), "{kept}: {html}");
        }
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn the_offsite_mark_cannot_be_forged() {
        let html = render(
            "<p title='x src=\"modelshelf-offsite:https://evil.test/'>t</p>\n\n\
             <img src=\"modelshelf-offsite:https://evil.test/a.png\">",
            &LOCAL,
        );
        assert!(!html.contains("data-offsite-src"), "{html}");
        assert!(!html.contains(r#"<img src="#), "{html}");
    }

    /// `tests/ui/` loads the rendered card; this keeps it the renderer's real output
    /// (`MODELSHELF_BLESS=1 cargo test --lib card` rewrites it).
    #[test]
    fn the_ui_tests_card_is_the_renderer_output() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(RENDERED_FOR_UI_TESTS);
        let rendered = render(REAL_STYLE_CARD, &LOCAL);
        if std::env::var_os("MODELSHELF_BLESS").is_some() {
            std::fs::write(&path, &rendered).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == rendered,
            "{RENDERED_FOR_UI_TESTS} is stale: run `MODELSHELF_BLESS=1 cargo test --lib card`"
        );
    }
}
