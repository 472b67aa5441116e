//! The repositories the fake Hub serves, built in code so each test states exactly the files,
//! refs and metadata it relies on, with the hashes (git blob sha1, sha256, commit) worked out
//! the way the real Hub does so clients can verify what they download.

use bytes::Bytes;
use sha1::Digest as _;

/// One file of a fake repository.
#[derive(Clone, Debug)]
pub struct FakeFile {
    pub path: String,
    pub content: Bytes,
    /// Stored in LFS: resolved with a 302 to the CDN listener, named by its sha256.
    pub lfs: bool,
    /// The content's sha256, worked out once: large files are looked up by it per request.
    sha256: std::sync::OnceLock<String>,
}

impl FakeFile {
    /// The git blob sha1 of what git stores: the content, or the LFS pointer.
    pub fn git_oid(&self) -> String {
        let stored = if self.lfs {
            self.lfs_pointer().into_bytes()
        } else {
            self.content.to_vec()
        };
        git_blob_sha1(&stored)
    }

    pub fn sha256(&self) -> String {
        self.sha256
            .get_or_init(|| hex(&sha2::Sha256::digest(&self.content)))
            .clone()
    }

    /// What the Hub calls the file's etag: sha256 for LFS files, the git blob sha1 otherwise.
    pub fn etag(&self) -> String {
        if self.lfs {
            self.sha256()
        } else {
            self.git_oid()
        }
    }

    pub(crate) fn lfs_pointer(&self) -> String {
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
            self.sha256(),
            self.content.len()
        )
    }
}

/// `git hash-object` of a blob.
pub fn git_blob_sha1(content: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    hex(&h.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A repository served by the fake Hub. Build with [`FakeRepo::model`] and the chained setters.
#[derive(Clone, Debug)]
pub struct FakeRepo {
    pub kind: &'static str,
    pub id: String,
    pub files: Vec<FakeFile>,
    /// Extra names for the one commit besides `main` (tags, `refs/pr/1`, ...).
    pub other_refs: Vec<String>,
    /// `false`, `"auto"` or `"manual"`, as the API reports it.
    pub gated: Option<&'static str>,
    pub private: bool,
    pub tags: Vec<String>,
    pub pipeline_tag: Option<String>,
    pub library_name: Option<String>,
    pub downloads: u64,
    pub likes: u64,
    pub last_modified: String,
    /// Old ids that answer with a relative 307 to this one, as the Hub does after a rename.
    pub renamed_from: Vec<String>,
    /// Files listed by the tree API (made up page by page, never stored) besides `files`:
    /// `data/0000000.bin`... under one `data` folder. They cannot be downloaded.
    pub synthetic_files: usize,
    /// The parameter count the Hub reports (`safetensors.total`, `gguf.total`) for the
    /// formats among `files`.
    pub parameters: Option<u64>,
}

impl FakeRepo {
    pub fn model(id: &str) -> FakeRepo {
        FakeRepo::new("model", id)
    }

    pub fn dataset(id: &str) -> FakeRepo {
        FakeRepo::new("dataset", id)
    }

    fn new(kind: &'static str, id: &str) -> FakeRepo {
        FakeRepo {
            kind,
            id: id.to_owned(),
            files: Vec::new(),
            other_refs: Vec::new(),
            gated: None,
            private: false,
            tags: Vec::new(),
            pipeline_tag: None,
            library_name: None,
            downloads: 0,
            likes: 0,
            last_modified: "2026-01-02T03:04:05.000Z".to_owned(),
            renamed_from: Vec::new(),
            synthetic_files: 0,
            parameters: None,
        }
    }

    /// Lists `count` more files (see [`FakeRepo::synthetic_files`]): a huge listing for the
    /// price of a number.
    pub fn synthetic_files(mut self, count: usize) -> Self {
        self.synthetic_files = count;
        self
    }

    pub fn file(mut self, path: &str, content: impl Into<Bytes>) -> Self {
        self.files.push(FakeFile {
            path: path.to_owned(),
            content: content.into(),
            lfs: false,
            sha256: Default::default(),
        });
        self
    }

    pub fn lfs_file(mut self, path: &str, content: impl Into<Bytes>) -> Self {
        self.files.push(FakeFile {
            path: path.to_owned(),
            content: content.into(),
            lfs: true,
            sha256: Default::default(),
        });
        self
    }

    pub fn also_at(mut self, revision: &str) -> Self {
        self.other_refs.push(revision.to_owned());
        self
    }

    pub fn gated(mut self, mode: &'static str) -> Self {
        self.gated = Some(mode);
        self
    }

    pub fn private(mut self) -> Self {
        self.private = true;
        self
    }

    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(|t| t.to_string()).collect();
        self
    }

    pub fn pipeline(mut self, tag: &str) -> Self {
        self.pipeline_tag = Some(tag.to_owned());
        self
    }

    pub fn stats(mut self, downloads: u64, likes: u64) -> Self {
        self.downloads = downloads;
        self.likes = likes;
        self
    }

    pub fn parameters(mut self, count: u64) -> Self {
        self.parameters = Some(count);
        self
    }

    pub fn renamed_from(mut self, old_id: &str) -> Self {
        self.renamed_from.push(old_id.to_owned());
        self
    }

    /// The commit every ref of this repo points to: a hash of its id and files.
    pub fn commit(&self) -> String {
        let mut h = sha1::Sha1::new();
        h.update(self.id.as_bytes());
        for f in &self.files {
            h.update(f.path.as_bytes());
            h.update(f.git_oid().as_bytes());
        }
        if self.synthetic_files > 0 {
            h.update(self.synthetic_files.to_string().as_bytes());
        }
        hex(&h.finalize())
    }

    pub fn get(&self, path: &str) -> Option<&FakeFile> {
        self.files.iter().find(|f| f.path == path)
    }

    pub(crate) fn knows_revision(&self, revision: &str) -> bool {
        revision == "main"
            || revision == self.commit()
            || self.other_refs.iter().any(|r| r == revision)
    }

    pub(crate) fn author(&self) -> &str {
        self.id.split_once('/').map_or("", |(ns, _)| ns)
    }
}

/// A small catalog used by several tests: a model with regular and LFS files in folders,
/// a gated model, and a dataset.
pub fn demo_catalog() -> Vec<FakeRepo> {
    let weights: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    vec![
        FakeRepo::model("acme/tiny-model")
            .file("config.json", r#"{"model_type":"llama","hidden_size":64}"#)
            .file(
                "README.md",
                "---\nlicense: apache-2.0\n---\n# Tiny model\nA model for tests.\n",
            )
            .file("tokenizer/vocab.txt", "a\nb\nc\n")
            .lfs_file("model.safetensors", weights.clone())
            .lfs_file("gguf/tiny-Q4_K_M.gguf", weights[..100_000].to_vec())
            .also_at("v1.0")
            .also_at("refs/pr/1")
            .tags(&["gguf", "safetensors", "text-generation"])
            .pipeline("text-generation")
            .stats(1200, 40)
            .parameters(75_000)
            .renamed_from("acme/old-tiny-model"),
        FakeRepo::model("acme/tiny-gated")
            .file("config.json", "{}")
            .lfs_file("weights.bin", vec![7u8; 4096])
            .gated("manual")
            .tags(&["safetensors"])
            .stats(50, 3),
        FakeRepo::model("other/tiny-chat")
            .file("config.json", "{\"chat\":true}")
            .stats(9000, 2),
        FakeRepo::dataset("acme/tiny-data").file("data/train.csv", "x,y\n1,2\n"),
    ]
}
