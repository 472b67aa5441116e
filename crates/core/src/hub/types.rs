//! The Hub API's JSON shapes, as the real Hub sends them (see the recorded samples in
//! `shared/reference/hub-samples/`), and the metadata read from a resolve HEAD.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::repo::is_sha256;

/// `gated` is `false`, `"auto"` or `"manual"` in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Gated {
    #[default]
    No,
    Auto,
    Manual,
}

impl<'de> Deserialize<'de> for Gated {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Mode(String),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Flag(false) => Gated::No,
            Raw::Mode(mode) if mode == "manual" => Gated::Manual,
            // `true` or any other mode: gated, approval unknown.
            _ => Gated::Auto,
        })
    }
}

/// `lfs` of a sibling in `/api/models/{id}?blobs=true`.
#[derive(Debug, Clone, Deserialize)]
pub struct SiblingLfs {
    pub sha256: String,
    pub size: u64,
}

/// One file in a repo info's `siblings`.
#[derive(Debug, Clone, Deserialize)]
pub struct Sibling {
    pub rfilename: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(rename = "blobId", default)]
    pub blob_id: Option<String>,
    #[serde(default)]
    pub lfs: Option<SiblingLfs>,
}

/// `GET /api/{models,datasets,spaces}/{id}[/revision/{rev}]`.
#[derive(Debug, Clone, Deserialize)]
pub struct RepoInfo {
    pub id: String,
    /// The commit the revision resolved to.
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub gated: Gated,
    #[serde(default)]
    pub siblings: Vec<Sibling>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub downloads: u64,
    #[serde(default)]
    pub likes: u64,
    #[serde(rename = "lastModified", default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub library_name: Option<String>,
    #[serde(default)]
    pub pipeline_tag: Option<String>,
    #[serde(default)]
    pub safetensors: Option<WeightsInfo>,
    #[serde(default)]
    pub gguf: Option<WeightsInfo>,
}

/// A model's `safetensors` or `gguf` field: what the Hub read from the weights' headers.
#[derive(Debug, Clone, Deserialize)]
pub struct WeightsInfo {
    /// The parameter count.
    #[serde(default)]
    pub total: Option<u64>,
}

/// A file name in a search result's `siblings` (no sizes there).
#[derive(Debug, Clone, Deserialize)]
pub struct ListedSibling {
    pub rfilename: String,
}

/// One file of a tree listing, with only what a download plan needs. A repository can list
/// hundreds of thousands of files, so each costs about a hundred bytes here (boxed strings, no
/// folders, no JSON extras) instead of the kilobytes a parsed JSON entry would take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    pub path: Box<str>,
    /// The content size (the LFS object's, for LFS files).
    pub size: u64,
    /// The blob name in the cache: sha256 for LFS files, git sha1 otherwise.
    pub etag: Box<str>,
}

/// One entry of `GET /api/{type}s/{id}/tree/{rev}`, borrowed from the page while it is read.
#[derive(Deserialize)]
struct RawTreeEntry<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    path: Cow<'a, str>,
    /// Git blob sha1 (of the pointer, for LFS files).
    #[serde(default, borrow)]
    oid: Cow<'a, str>,
    #[serde(default)]
    size: u64,
    /// Note the key is `oid` here but `sha256` in siblings.
    #[serde(default, borrow)]
    lfs: Option<RawTreeLfs<'a>>,
}

#[derive(Deserialize)]
struct RawTreeLfs<'a> {
    #[serde(borrow)]
    oid: Cow<'a, str>,
    size: u64,
}

/// The files of one tree page, folders dropped while parsing, at most `room` of them.
pub(crate) struct TreePage {
    pub files: Vec<ListedFile>,
    /// The page held more than `room` files; the rest were read past, not kept.
    pub overflowed: bool,
}

impl TreePage {
    /// Parses a tree page, keeping at most `room` files.
    pub(crate) fn parse(json: &[u8], room: usize) -> serde_json::Result<TreePage> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let page = TreePageSeed { room }.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(page)
    }
}

struct TreePageSeed {
    room: usize,
}

impl<'de> DeserializeSeed<'de> for TreePageSeed {
    type Value = TreePage;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<TreePage, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TreePageSeed {
    type Value = TreePage;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of tree entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TreePage, A::Error> {
        let mut page = TreePage {
            files: Vec::new(),
            overflowed: false,
        };
        while !page.overflowed {
            let Some(entry) = seq.next_element::<RawTreeEntry<'de>>()? else {
                return Ok(page);
            };
            if entry.kind != "file" {
                continue;
            }
            if page.files.len() == self.room {
                page.overflowed = true;
                break;
            }
            let (size, etag) = match entry.lfs {
                Some(lfs) => (lfs.size, lfs.oid),
                None => (entry.size, entry.oid),
            };
            page.files.push(ListedFile {
                path: entry.path.into(),
                size,
                etag: etag.into(),
            });
        }
        // Read past the rest without keeping it, so the page still parses as a whole.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(page)
    }
}

/// One result of `GET /api/models`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    pub id: String,
    #[serde(default)]
    pub downloads: u64,
    #[serde(default)]
    pub likes: u64,
    #[serde(default)]
    pub gated: Gated,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default, rename = "pipeline_tag")]
    pub pipeline_tag: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub safetensors: Option<WeightsInfo>,
    #[serde(default)]
    pub gguf: Option<WeightsInfo>,
    #[serde(default)]
    pub siblings: Vec<ListedSibling>,
}

impl ModelSummary {
    /// The parameter count, from the safetensors or the GGUF headers.
    pub fn parameters(&self) -> Option<u64> {
        parameters(self.safetensors.as_ref(), self.gguf.as_ref())
    }
}

impl RepoInfo {
    /// The parameter count, from the safetensors or the GGUF headers.
    pub fn parameters(&self) -> Option<u64> {
        parameters(self.safetensors.as_ref(), self.gguf.as_ref())
    }
}

fn parameters(safetensors: Option<&WeightsInfo>, gguf: Option<&WeightsInfo>) -> Option<u64> {
    safetensors
        .and_then(|w| w.total)
        .or_else(|| gguf.and_then(|w| w.total))
        .filter(|&n| n > 0)
}

/// What a HEAD on a resolve URL tells about a file (`huggingface_hub.HfFileMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMetadata {
    /// The commit the revision points to (`X-Repo-Commit`).
    pub commit: String,
    /// The blob name: `X-Linked-Etag` (sha256, LFS) or `ETag` (git sha1), normalized.
    pub etag: String,
    /// The content size (`X-Linked-Size`, or `Content-Length` of a non-redirect).
    pub size: u64,
    /// Where to GET the bytes: the CDN's signed URL for LFS files, else the resolve URL.
    pub location: String,
}

impl FileMetadata {
    /// Whether the content is stored in LFS (named by its sha256).
    pub fn is_lfs(&self) -> bool {
        is_sha256(&self.etag)
    }
}

/// Strips a weak `W/` prefix and the quotes, as `huggingface_hub._normalize_etag` does.
pub fn normalize_etag(raw: &str) -> String {
    raw.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_owned()
}

/// `GET /api/whoami-v2`: the account a token belongs to. Only what the app shows is read.
#[derive(Debug, Clone, Deserialize)]
pub struct WhoAmI {
    pub name: String,
    #[serde(default)]
    pub fullname: Option<String>,
    #[serde(default)]
    pub orgs: Vec<WhoAmIOrg>,
    #[serde(default)]
    pub auth: Option<WhoAmIAuth>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WhoAmIOrg {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WhoAmIAuth {
    #[serde(rename = "accessToken", default)]
    pub access_token: Option<WhoAmIToken>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WhoAmIToken {
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
    /// `read`, `write` or `fineGrained`.
    #[serde(default)]
    pub role: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_api_samples_parse() {
        // Sample 02: `mcpotato/42-eicar-street` with `?blobs=true`.
        let info: RepoInfo = serde_json::from_str(
            r#"{"_id":"x","id":"mcpotato/42-eicar-street","private":false,"gated":false,"sha":"8b3861f6931c4026b0cd22b38dbc09e7668983ac",
            "siblings":[{"rfilename":".gitattributes","blobId":"a6344aac8c09253b3b630fb776ae94478aa0275b","size":1519},
            {"rfilename":"pytorch_model.bin","blobId":"7ffa4","size":551,"lfs":{"sha256":"b5a4","size":551,"pointerSize":130}}]}"#,
        )
        .unwrap();
        assert_eq!(
            info.sha.as_deref(),
            Some("8b3861f6931c4026b0cd22b38dbc09e7668983ac")
        );
        assert_eq!(info.siblings[1].lfs.as_ref().unwrap().sha256, "b5a4");
        let gated: Vec<Gated> = serde_json::from_str(r#"[false,"auto","manual",true]"#).unwrap();
        assert_eq!(gated, [Gated::No, Gated::Auto, Gated::Manual, Gated::Auto]);
        let page = TreePage::parse(
            br#"[{"type":"directory","oid":"d1","size":0,"path":"gguf"},
            {"type":"file","oid":"a7a4","size":440473133,"path":"model.safetensors","lfs":{"oid":"68d45e","size":440473133,"pointerSize":135},"xetHash":"e0e1"},
            {"type":"file","oid":"c0ff","size":12,"path":"gguf/a\u0020b.txt"}]"#,
            10,
        )
        .unwrap();
        assert!(!page.overflowed);
        assert_eq!(
            page.files,
            [
                ListedFile {
                    path: "model.safetensors".into(),
                    size: 440473133,
                    etag: "68d45e".into()
                },
                ListedFile {
                    path: "gguf/a b.txt".into(),
                    size: 12,
                    etag: "c0ff".into()
                }
            ]
        );
        let me: WhoAmI = serde_json::from_str(
            r#"{"type":"user","id":"6","name":"alice","fullname":"Alice A","email":"a@x","emailVerified":true,
            "orgs":[{"type":"org","name":"acme","roleInOrg":"admin"}],
            "auth":{"type":"access_token","accessToken":{"displayName":"laptop","role":"read","createdAt":"2024-01-01T00:00:00.000Z"}}}"#,
        )
        .unwrap();
        assert_eq!(me.orgs[0].name, "acme");
        assert_eq!(
            me.auth.unwrap().access_token.unwrap().role.as_deref(),
            Some("read")
        );
    }

    #[test]
    fn parameter_counts_come_from_safetensors_or_gguf() {
        // As `/api/models?expand=safetensors&expand=gguf&expand=siblings` answers.
        let page: Vec<ModelSummary> = serde_json::from_str(
            r#"[{"_id":"1","id":"Qwen/Qwen3-8B","safetensors":{"parameters":{"BF16":8190735360},"total":8190735360}},
            {"_id":"2","id":"unsloth/Qwen3-8B-GGUF","gguf":{"total":8190735360,"architecture":"qwen3","context_length":40960},
             "siblings":[{"rfilename":".gitattributes"},{"rfilename":"Qwen3-8B-Q4_K_M.gguf"}]},
            {"_id":"3","id":"x/empty","safetensors":{"parameters":{},"total":0}}]"#,
        )
        .unwrap();
        assert_eq!(page[0].parameters(), Some(8_190_735_360));
        assert_eq!(page[1].parameters(), Some(8_190_735_360));
        assert_eq!(page[1].siblings[1].rfilename, "Qwen3-8B-Q4_K_M.gguf");
        assert_eq!(page[2].parameters(), None);
        let info: RepoInfo = serde_json::from_str(
            r#"{"id":"Qwen/Qwen3-8B","safetensors":{"parameters":{"BF16":8190735360},"total":8190735360}}"#,
        )
        .unwrap();
        assert_eq!(info.parameters(), Some(8_190_735_360));
    }

    #[test]
    fn a_tree_page_keeps_at_most_its_room_and_still_parses_whole() {
        let entry = r#"{"type":"file","oid":"ab","size":1,"path":"f"}"#;
        let json = format!("[{}]", [entry; 5].join(","));
        let page = TreePage::parse(json.as_bytes(), 3).unwrap();
        assert_eq!((page.files.len(), page.overflowed), (3, true));
        let page = TreePage::parse(json.as_bytes(), 5).unwrap();
        assert_eq!((page.files.len(), page.overflowed), (5, false));
        assert!(
            TreePage::parse(b"[] x", 5).is_err(),
            "trailing bytes are refused"
        );
    }

    #[test]
    fn etags_are_normalized_like_python() {
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert!(is_sha256(&"a".repeat(64)));
        assert!(!is_sha256(&"a".repeat(40)));
    }
}
