//! The TypeScript declarations of every IPC payload, generated from the Rust types so that the
//! two languages cannot drift apart. `ui/ipc-types.d.ts` is the checked-in copy; a test fails
//! when it is stale and rewrites it when run with `MODELSHELF_BLESS=1`.

use ts_rs::{Config, TS};

use crate::commands::{
    AppInfo, CacheOverview, CacheTarget, Diagnostics, ModelDetails, ModelFileInfo, ModelListing,
    OtherApps, ReclaimFailure, Reclaimed, SearchArgs, SearchResults, SettingValue, SettingsUpdate,
    SettingsView, TokenCheck,
};
use modelshelf_core::cache::{
    CacheProblem, CacheScan, CachedFile, CachedRepo, CachedRevision, Freed, MovePhase,
    MoveProgress, ProblemKind,
};
use modelshelf_core::error::{ErrorKind, ErrorReport};
use modelshelf_core::hub::Gated;
use modelshelf_core::jobs::{DownloadRequest, JobId, JobProgress, JobState, JobView};
use modelshelf_core::machine::{Gpu, GpuVendor, MachineProfile};
use modelshelf_core::progress::{FileProgress, FileState, Phase, RetryInfo};
use modelshelf_core::provision::{ModelEntry, ModelFile};
use modelshelf_core::repo::RepoType;
use modelshelf_core::settings::Source;
use modelshelf_core::shelf::{
    App, CacheRef, Hashing, Imported, Sharing, ShelvedFile, ShelvedModel, Survey, SurveyedStore,
    UsedInOllama,
};

/// Where the checked-in declarations live, relative to the repository root.
pub const DECLARATIONS_PATH: &str = "ui/ipc-types.d.ts";

/// The full text of [`DECLARATIONS_PATH`].
pub fn typescript_declarations() -> String {
    let cfg = Config::default();
    let decls = [
        ErrorKind::decl(&cfg),
        ErrorReport::decl(&cfg),
        AppInfo::decl(&cfg),
        GpuVendor::decl(&cfg),
        Gpu::decl(&cfg),
        MachineProfile::decl(&cfg),
        Source::decl(&cfg),
        SettingValue::decl(&cfg),
        SettingsView::decl(&cfg),
        SettingsUpdate::decl(&cfg),
        TokenCheck::decl(&cfg),
        Diagnostics::decl(&cfg),
        RepoType::decl(&cfg),
        Gated::decl(&cfg),
        SearchArgs::decl(&cfg),
        ModelListing::decl(&cfg),
        SearchResults::decl(&cfg),
        ModelFileInfo::decl(&cfg),
        ModelDetails::decl(&cfg),
        JobId::decl(&cfg),
        Phase::decl(&cfg),
        FileState::decl(&cfg),
        FileProgress::decl(&cfg),
        RetryInfo::decl(&cfg),
        DownloadRequest::decl(&cfg),
        JobState::decl(&cfg),
        JobProgress::decl(&cfg),
        ModelFile::decl(&cfg),
        ModelEntry::decl(&cfg),
        JobView::decl(&cfg),
        ProblemKind::decl(&cfg),
        CacheProblem::decl(&cfg),
        CachedFile::decl(&cfg),
        CachedRevision::decl(&cfg),
        CachedRepo::decl(&cfg),
        CacheScan::decl(&cfg),
        CacheOverview::decl(&cfg),
        CacheTarget::decl(&cfg),
        Freed::decl(&cfg),
        MovePhase::decl(&cfg),
        MoveProgress::decl(&cfg),
        App::decl(&cfg),
        CacheRef::decl(&cfg),
        Sharing::decl(&cfg),
        ShelvedFile::decl(&cfg),
        ShelvedModel::decl(&cfg),
        SurveyedStore::decl(&cfg),
        Survey::decl(&cfg),
        Hashing::decl(&cfg),
        OtherApps::decl(&cfg),
        ReclaimFailure::decl(&cfg),
        Reclaimed::decl(&cfg),
        Imported::decl(&cfg),
        UsedInOllama::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust IPC types by src-tauri/ipc_types.rs. Do not edit:\n\
         // run `MODELSHELF_BLESS=1 cargo test ipc_types` to regenerate.\n",
    );
    for decl in decls {
        out.push_str("\nexport ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}
