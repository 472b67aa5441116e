//! Where Modelshelf talks to and writes to: the Hub endpoint, the access token and the cache
//! folder, resolved from the environment exactly as Python's `huggingface_hub` resolves them,
//! so that both programs share one cache and one login.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The public Hugging Face Hub.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// An access token. Its `Debug` never shows the secret, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Cleans a token the way `huggingface_hub` does (line breaks removed, whitespace
    /// trimmed); an empty result means "no token".
    pub fn parse(raw: &str) -> Option<Token> {
        let cleaned: String = raw.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        let cleaned = cleaned.trim();
        (!cleaned.is_empty()).then(|| Token(cleaned.to_owned()))
    }

    /// The secret itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The effective settings of this process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL of the Hub (`HF_ENDPOINT`), without a trailing slash.
    pub endpoint: String,
    /// `HF_HOME`: parent of the default cache and of the token file.
    pub hf_home: PathBuf,
    /// The hub cache root (`HF_HUB_CACHE`), where `models--org--name` folders live.
    pub cache_dir: PathBuf,
    /// The token file (`HF_TOKEN_PATH`, default `HF_HOME/token`).
    pub token_path: PathBuf,
    /// The token from `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN` or the token file, in that order.
    pub token: Option<Token>,
    /// `HF_HUB_OFFLINE`: never touch the network.
    pub offline: bool,
}

impl Settings {
    /// Reads the settings from this process's environment and the token file.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `HF_ENDPOINT` is not an http(s) URL or no home folder can
    /// be found to place the cache in.
    pub fn from_env() -> Result<Settings> {
        Settings::resolve(&|name| std::env::var(name).ok(), dirs::home_dir())
    }

    /// Resolves the settings from `env` (a variable lookup) and a home folder; the token file
    /// is read from disk.
    pub fn resolve(
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<PathBuf>,
    ) -> Result<Settings> {
        // An empty variable counts as unset: `HF_HOME= app` should not mean "the current folder".
        let var = |name: &str| env(name).filter(|v| !v.is_empty());
        let expand = |raw: String| -> Result<PathBuf> {
            Ok(PathBuf::from(expand_vars(
                &expand_user(&raw, home.as_deref())?,
                &var,
            )))
        };
        let home_dir = || {
            home.clone().ok_or_else(|| {
                Error::invalid("home folder", "none found; set HF_HOME or HF_HUB_CACHE")
            })
        };

        let hf_home = match var("HF_HOME") {
            Some(raw) => expand(raw)?,
            None => {
                let cache_home = match var("XDG_CACHE_HOME") {
                    Some(raw) => PathBuf::from(raw),
                    None => home_dir()?.join(".cache"),
                };
                expand(
                    cache_home
                        .join("huggingface")
                        .to_string_lossy()
                        .into_owned(),
                )?
            }
        };
        let cache_dir = match var("HF_HUB_CACHE").or_else(|| var("HUGGINGFACE_HUB_CACHE")) {
            Some(raw) => expand(raw)?,
            None => hf_home.join("hub"),
        };
        let token_path = match var("HF_TOKEN_PATH") {
            Some(raw) => expand(raw)?,
            None => hf_home.join("token"),
        };
        let token = var("HF_TOKEN")
            .or_else(|| var("HUGGING_FACE_HUB_TOKEN"))
            .and_then(|raw| Token::parse(&raw))
            .or_else(|| read_token_file(&token_path));

        Ok(Settings {
            endpoint: parse_endpoint(var("HF_ENDPOINT").as_deref().unwrap_or(DEFAULT_ENDPOINT))?,
            hf_home,
            cache_dir,
            token_path,
            token,
            offline: ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"]
                .iter()
                .any(|name| var(name).is_some_and(|v| is_truthy(&v))),
        })
    }
}

/// Validates an endpoint URL and drops trailing slashes, as `huggingface_hub` does.
pub fn parse_endpoint(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| Error::invalid("Hub endpoint", format!("{trimmed:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid(
            "Hub endpoint",
            format!("{trimmed:?} is not an http(s) URL"),
        ));
    }
    Ok(trimmed.to_owned())
}

fn read_token_file(path: &Path) -> Option<Token> {
    // A missing or unreadable token file simply means "not logged in", as in Python.
    std::fs::read_to_string(path)
        .ok()
        .and_then(|raw| Token::parse(&raw))
}

/// `huggingface_hub`'s truthy values for boolean variables.
fn is_truthy(value: &str) -> bool {
    ["1", "ON", "YES", "TRUE"]
        .iter()
        .any(|t| value.eq_ignore_ascii_case(t))
}

/// Python's `os.path.expanduser` for the current user: a leading `~` becomes the home folder.
fn expand_user(raw: &str, home: Option<&Path>) -> Result<String> {
    let Some(rest) = raw.strip_prefix('~') else {
        return Ok(raw.to_owned());
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        // `~otheruser/...` is left alone, like Python does for unknown users.
        return Ok(raw.to_owned());
    }
    let home = home.ok_or_else(|| {
        Error::invalid(
            "path",
            format!("{raw:?} uses ~ but there is no home folder"),
        )
    })?;
    Ok(format!("{}{rest}", home.display()))
}

/// Python's `os.path.expandvars`: `$NAME` and `${NAME}` are replaced when the variable is set
/// and left as written when it is not.
fn expand_vars(raw: &str, var: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match (name.is_empty(), var(name)) {
            (false, Some(value)) => out.push_str(&value),
            _ => out.push_str(&rest[dollar..dollar + 1 + consumed]),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(vars: &[(&str, &str)]) -> Settings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(
            &|name| vars.get(name).cloned(),
            Some(PathBuf::from("/home/ada")),
        )
        .unwrap()
    }

    #[test]
    fn defaults_match_huggingface_hub() {
        let s = resolve(&[]);
        assert_eq!(s.endpoint, "https://huggingface.co");
        assert_eq!(s.hf_home, Path::new("/home/ada/.cache/huggingface"));
        assert_eq!(s.cache_dir, Path::new("/home/ada/.cache/huggingface/hub"));
        assert_eq!(
            s.token_path,
            Path::new("/home/ada/.cache/huggingface/token")
        );
        assert!(!s.offline);
    }

    #[test]
    fn cache_dir_follows_python_precedence() {
        assert_eq!(
            resolve(&[("XDG_CACHE_HOME", "/xdg")]).cache_dir,
            Path::new("/xdg/huggingface/hub")
        );
        assert_eq!(
            resolve(&[("XDG_CACHE_HOME", "/xdg"), ("HF_HOME", "/hf")]).cache_dir,
            Path::new("/hf/hub")
        );
        assert_eq!(
            resolve(&[("HF_HOME", "/hf"), ("HUGGINGFACE_HUB_CACHE", "/legacy")]).cache_dir,
            Path::new("/legacy")
        );
        assert_eq!(
            resolve(&[
                ("HF_HUB_CACHE", "/new"),
                ("HUGGINGFACE_HUB_CACHE", "/legacy")
            ])
            .cache_dir,
            Path::new("/new")
        );
    }

    #[test]
    fn paths_expand_tilde_and_variables() {
        let s = resolve(&[
            ("HF_HOME", "~/hf"),
            ("DATA", "/mnt/data"),
            ("HF_HUB_CACHE", "${DATA}/hub-$DATA/$NOPE"),
        ]);
        assert_eq!(s.hf_home, Path::new("/home/ada/hf"));
        assert_eq!(s.cache_dir, Path::new("/mnt/data/hub-/mnt/data/$NOPE"));
    }

    #[test]
    fn endpoint_is_validated_and_trimmed() {
        assert_eq!(
            resolve(&[("HF_ENDPOINT", "http://127.0.0.1:8080/")]).endpoint,
            "http://127.0.0.1:8080"
        );
        let vars = |name: &str| (name == "HF_ENDPOINT").then(|| "ftp://mirror".to_string());
        let err = Settings::resolve(&vars, Some(PathBuf::from("/h"))).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::InvalidInput);
    }

    #[test]
    fn token_comes_from_env_before_the_token_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "hf_from_file\n").unwrap();
        let home = dir.path().to_str().unwrap();
        assert_eq!(
            resolve(&[("HF_HOME", home)]).token.unwrap().expose(),
            "hf_from_file"
        );
        let s = resolve(&[("HF_HOME", home), ("HF_TOKEN", " hf_env\r\n")]);
        assert_eq!(s.token.as_ref().unwrap().expose(), "hf_env");
        assert_eq!(format!("{:?}", s.token), "Some(Token(***))");
        assert!(
            resolve(&[("HF_HOME", "/nonexistent"), ("HF_TOKEN", " \n")])
                .token
                .is_none()
        );
    }

    #[test]
    fn offline_uses_python_truthy_values() {
        assert!(resolve(&[("HF_HUB_OFFLINE", "yes")]).offline);
        assert!(resolve(&[("TRANSFORMERS_OFFLINE", "1")]).offline);
        assert!(!resolve(&[("HF_HUB_OFFLINE", "0")]).offline);
    }
}
