//! The text a person copies into a bug report: version, platform, memory, each setting with
//! where it comes from (never the token itself), whether the endpoint answers, the log file.
//! Built here so every front end words it the same.

use crate::settings::{Settings, Source};

/// What the report says beyond the settings.
pub struct Facts<'a> {
    pub platform: &'a str,
    pub memory_total: Option<u64>,
    /// Whether the Hub endpoint answers.
    pub online: bool,
    /// The current log file, or the folder where logs go.
    pub log: &'a str,
}

/// The diagnostics text, one fact per line.
pub fn text(settings: &Settings, facts: &Facts<'_>) -> String {
    let source = |s: Source| match s {
        Source::Environment => "environment",
        Source::Settings => "settings file",
        Source::Default => "default",
    };
    [
        format!("Modelshelf {}", env!("CARGO_PKG_VERSION")),
        format!("platform: {}", facts.platform),
        format!(
            "memory: {}",
            facts
                .memory_total
                .map_or("unknown".into(), |m| format!("{} MiB", m >> 20))
        ),
        format!(
            "endpoint: {} (from {}){}",
            settings.endpoint,
            source(settings.endpoint_source),
            if facts.online { "" } else { ", not answering" }
        ),
        format!(
            "cache folder: {} (from {})",
            settings.cache_dir.display(),
            source(settings.cache_dir_source)
        ),
        format!(
            "access token: {}",
            settings.token.as_ref().map_or("none".into(), |_| format!(
                "set (from {})",
                match settings.token_source {
                    Source::Settings => "the token file",
                    other => source(other),
                }
            ))
        ),
        format!("HF_HUB_OFFLINE: {}", settings.offline),
        format!(
            "downloads: {} at once, {} connections per file, bandwidth cap {}",
            settings.concurrent_jobs,
            settings.connections_per_file,
            settings
                .max_download_rate
                .map_or("none".into(), |r| format!("{r} B/s"))
        ),
        format!("log: {}", facts.log),
    ]
    .join("\n")
}
