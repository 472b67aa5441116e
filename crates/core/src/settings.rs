//! Where Modelshelf talks to and writes to: the Hub endpoint, the access token and the cache
//! folder, resolved from the environment exactly as Python's `huggingface_hub` resolves them,
//! so that both programs share one cache and one login. What the user sets in the app
//! ([`Preferences`]) applies where no environment variable says otherwise.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

/// What the user chose in the app's Settings view, kept in `settings.json` in the app's config
/// folder. Every field is optional: unset means "the default".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    pub endpoint: Option<String>,
    pub cache_dir: Option<String>,
    pub concurrent_jobs: Option<u32>,
    pub connections_per_file: Option<u32>,
    /// Bytes per second for all downloads together.
    #[ts(type = "number | null")]
    pub max_download_rate: Option<u64>,
    /// Folders of GGUF files the person added to the other apps' stores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_folders: Vec<String>,
}

impl Preferences {
    /// The saved preferences; a missing or unreadable file means the defaults.
    pub fn load(path: &Path) -> Preferences {
        std::fs::read(path)
            .ok()
            .and_then(|raw| serde_json::from_slice(&raw).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        crate::fs::write_atomically(path, &json)
    }
}

/// Where a setting's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    Default,
    /// An environment variable (`HF_ENDPOINT`, `HF_HOME`, `HF_HUB_CACHE`, `HF_TOKEN`...), which
    /// the app cannot override.
    Environment,
    /// The app's settings (or, for the token, the Hub's token file).
    Settings,
}

/// Jobs running at once unless the user says otherwise.
pub const DEFAULT_CONCURRENT_JOBS: usize = 2;
/// The most connections one large file gets unless the user says otherwise (how many it
/// really gets is the transfer's tuner's call).
pub const DEFAULT_CONNECTIONS_PER_FILE: usize = 16;
/// The most connections per large file a person may ask for: a line faster than 16 connections
/// of its CDN carry gains from more, each costing about 2 MiB of memory while it runs. All
/// ranged transfers of the process share as many.
pub const MAX_CONNECTIONS_PER_FILE: usize = 64;

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
    pub endpoint_source: Source,
    pub cache_dir_source: Source,
    pub token_source: Source,
    /// The environment variable the endpoint came from, when its source is the environment.
    pub endpoint_variable: Option<&'static str>,
    /// The variable the cache folder came from (`HF_HUB_CACHE`, `HUGGINGFACE_HUB_CACHE` or
    /// `HF_HOME`), when its source is the environment.
    pub cache_dir_variable: Option<&'static str>,
    /// The variable the token came from (`HF_TOKEN` or `HUGGING_FACE_HUB_TOKEN`).
    pub token_variable: Option<&'static str>,
    pub concurrent_jobs: usize,
    pub connections_per_file: usize,
    pub max_download_rate: Option<u64>,
}

impl Settings {
    /// Reads the settings from this process's environment and the token file.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `HF_ENDPOINT` is not an http(s) URL or no home folder can
    /// be found to place the cache in.
    pub fn from_env() -> Result<Settings> {
        Settings::resolve(
            &|name| std::env::var(name).ok(),
            dirs::home_dir(),
            &Preferences::default(),
        )
    }

    /// Resolves the settings from `env` (a variable lookup), a home folder and the user's
    /// preferences; the token file is read from disk.
    pub fn resolve(
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<PathBuf>,
        prefs: &Preferences,
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
        // The first variable that is set, and its name: the Settings view tells a person
        // which one to change.
        let first_var = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|name| var(name).map(|value| (*name, value)))
        };
        let (cache_dir, cache_dir_source, cache_dir_variable) =
            match first_var(&["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"]) {
                Some((name, raw)) => (expand(raw)?, Source::Environment, Some(name)),
                None if var("HF_HOME").is_some() => {
                    (hf_home.join("hub"), Source::Environment, Some("HF_HOME"))
                }
                None => match prefs.cache_dir.as_deref().filter(|d| !d.trim().is_empty()) {
                    Some(dir) => (expand(dir.trim().to_owned())?, Source::Settings, None),
                    None => (hf_home.join("hub"), Source::Default, None),
                },
            };
        let token_path = match var("HF_TOKEN_PATH") {
            Some(raw) => expand(raw)?,
            None => hf_home.join("token"),
        };
        let (token, token_source, token_variable) =
            match first_var(&["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"])
                .and_then(|(name, raw)| Token::parse(&raw).map(|token| (name, token)))
            {
                Some((name, token)) => (Some(token), Source::Environment, Some(name)),
                None => match read_token_file(&token_path) {
                    Some(token) => (Some(token), Source::Settings, None),
                    None => (None, Source::Default, None),
                },
            };
        let (endpoint, endpoint_source, endpoint_variable) =
            match (var("HF_ENDPOINT"), prefs.endpoint.as_deref()) {
                (Some(env), _) => (
                    parse_endpoint(&env)?,
                    Source::Environment,
                    Some("HF_ENDPOINT"),
                ),
                (None, Some(chosen)) if !chosen.trim().is_empty() => {
                    (parse_endpoint(chosen)?, Source::Settings, None)
                }
                _ => (DEFAULT_ENDPOINT.to_owned(), Source::Default, None),
            };
        let positive = |value: Option<u32>, default: usize| {
            value.filter(|v| *v > 0).map_or(default, |v| v as usize)
        };

        Ok(Settings {
            endpoint,
            endpoint_source,
            cache_dir_source,
            token_source,
            endpoint_variable,
            cache_dir_variable,
            token_variable,
            concurrent_jobs: positive(prefs.concurrent_jobs, DEFAULT_CONCURRENT_JOBS),
            connections_per_file: positive(
                prefs.connections_per_file,
                DEFAULT_CONNECTIONS_PER_FILE,
            )
            .min(MAX_CONNECTIONS_PER_FILE),
            max_download_rate: prefs.max_download_rate.filter(|r| *r > 0),
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

/// Saves `raw` (cleaned) as the Hub's token file, readable by the user only, the way
/// `huggingface_hub.login` does; an empty token removes the file (a logout).
pub fn save_token(path: &Path, raw: &str) -> Result<()> {
    match Token::parse(raw) {
        None => match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("removing", path, e)),
        },
        Some(token) => {
            if token
                .expose()
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(Error::invalid("token", "a token has no spaces"));
            }
            let parent = path
                .parent()
                .ok_or_else(|| Error::invalid("token file", "no folder"))?;
            std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .map_err(|e| Error::io("writing", path, e))?;
            // An existing file keeps its mode on open: tighten it before writing the secret.
            #[cfg(unix)]
            std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .map_err(|e| Error::io("protecting", path, e))?;
            std::io::Write::write_all(&mut file, token.expose().as_bytes())
                .map_err(|e| Error::io("writing", path, e))
        }
    }
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
        resolve_with(vars, &Preferences::default())
    }

    fn resolve_with(vars: &[(&str, &str)], prefs: &Preferences) -> Settings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(
            &|name| vars.get(name).cloned(),
            Some(PathBuf::from("/home/ada")),
            prefs,
        )
        .unwrap()
    }

    #[test]
    fn the_environment_wins_over_preferences_and_sources_say_so() {
        let prefs = Preferences {
            endpoint: Some("http://mirror.local/".into()),
            cache_dir: Some("~/models".into()),
            concurrent_jobs: Some(3),
            connections_per_file: Some(0),
            max_download_rate: Some(1_000_000),
            model_folders: Vec::new(),
        };
        let s = resolve_with(&[], &prefs);
        assert_eq!(
            (s.endpoint.as_str(), s.endpoint_source),
            ("http://mirror.local", Source::Settings)
        );
        assert_eq!(
            (s.cache_dir.as_path(), s.cache_dir_source),
            (Path::new("/home/ada/models"), Source::Settings)
        );
        assert_eq!(
            (
                s.concurrent_jobs,
                s.connections_per_file,
                s.max_download_rate
            ),
            (3, DEFAULT_CONNECTIONS_PER_FILE, Some(1_000_000))
        );
        // A hand-edited file asking for more than the process has gets the most there is.
        let many = Preferences {
            connections_per_file: Some(1000),
            ..prefs.clone()
        };
        assert_eq!(
            resolve_with(&[], &many).connections_per_file,
            MAX_CONNECTIONS_PER_FILE
        );
        let s = resolve_with(
            &[("HF_ENDPOINT", "http://env.local"), ("HF_HOME", "/hf")],
            &prefs,
        );
        assert_eq!(
            (s.endpoint.as_str(), s.endpoint_source),
            ("http://env.local", Source::Environment)
        );
        assert_eq!(
            (s.cache_dir.as_path(), s.cache_dir_source),
            (Path::new("/hf/hub"), Source::Environment)
        );
        assert_eq!(resolve(&[]).cache_dir_source, Source::Default);
    }

    #[test]
    fn values_from_the_environment_name_their_variable() {
        let s = resolve(&[
            ("HF_ENDPOINT", "http://env.local"),
            ("HF_HOME", "/hf"),
            ("HUGGING_FACE_HUB_TOKEN", "hf_legacy"),
        ]);
        assert_eq!(
            (s.endpoint_variable, s.cache_dir_variable, s.token_variable),
            (
                Some("HF_ENDPOINT"),
                Some("HF_HOME"),
                Some("HUGGING_FACE_HUB_TOKEN")
            )
        );
        let s = resolve(&[
            ("HF_HOME", "/hf"),
            ("HF_HUB_CACHE", "/hub"),
            ("HF_TOKEN", "hf_new"),
            ("HUGGING_FACE_HUB_TOKEN", "hf_legacy"),
        ]);
        assert_eq!(
            (s.cache_dir_variable, s.token_variable),
            (Some("HF_HUB_CACHE"), Some("HF_TOKEN"))
        );
        assert_eq!(
            resolve(&[("HUGGINGFACE_HUB_CACHE", "/legacy")]).cache_dir_variable,
            Some("HUGGINGFACE_HUB_CACHE")
        );
        let prefs = Preferences {
            endpoint: Some("http://mirror.local".into()),
            cache_dir: Some("/models".into()),
            ..Preferences::default()
        };
        let s = resolve_with(&[], &prefs);
        assert_eq!(
            (s.endpoint_variable, s.cache_dir_variable, s.token_variable),
            (None, None, None)
        );
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
        let err = Settings::resolve(&vars, Some(PathBuf::from("/h")), &Preferences::default())
            .unwrap_err();
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
