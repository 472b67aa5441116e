//! Model cards: the README.md markdown of a repo turned into HTML that is safe to put in the
//! page. Raw HTML in the markdown is shown as text, links keep only http(s) and mailto
//! targets, and images are never loaded from the network (they become links), so a card can
//! neither run script nor make the app call out.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// The HTML for `markdown`, without its YAML metadata block.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut in_metadata = false;
    let mut in_image = false;
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
        // Raw HTML is shown as the text it is, never interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Some(Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        })),
        // An image becomes a link to it: nothing is fetched unless the person clicks.
        Event::Start(Tag::Image {
            dest_url,
            title,
            id,
            ..
        }) => {
            in_image = true;
            Some(Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url: safe_url(dest_url),
                title,
                id,
            }))
        }
        Event::End(TagEnd::Image) => {
            in_image = false;
            Some(Event::End(TagEnd::Link))
        }
        Event::Text(text) if in_image && text.is_empty() => Some(Event::Text("image".into())),
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    out
}

/// Keeps web and mail links; anything else (`javascript:`, `data:`, relative paths into the
/// app) becomes an inert `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
    {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn cards_render_without_script_remote_images_or_metadata() {
        let html = render(
            "---\nlicense: apache-2.0\n---\n# Tiny\n\n<script>alert(1)</script>\n\n\
             [ok](https://huggingface.co/x) [bad](javascript:alert(1)) ![chart](https://evil.test/p.png)\n\n\
             | a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Tiny</h1>"), "{html}");
        assert!(
            !html.contains("license"),
            "the metadata block is not shown: {html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;"),
            "raw HTML is shown as text: {html}"
        );
        assert!(
            html.contains(r#"<a href="https://huggingface.co/x">ok</a>"#),
            "{html}"
        );
        assert!(html.contains(r##"<a href="#">bad</a>"##), "{html}");
        assert!(!html.contains("<img"), "no image is loaded: {html}");
        assert!(
            html.contains(r#"<a href="https://evil.test/p.png">chart</a>"#),
            "{html}"
        );
        assert!(html.contains("<table>"), "{html}");
    }
}
