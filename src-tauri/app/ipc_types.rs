//! The TypeScript declarations of every IPC payload, generated from the Rust types so that the
//! two languages cannot drift apart. `ui/ipc-types.d.ts` is the checked-in copy; a test fails
//! when it is stale and rewrites it when run with `MODELSHELF_BLESS=1`.

use ts_rs::{Config, TS};

use super::{AppInfo, CommandError};
use crate::error::ErrorKind;
use crate::hub::RepoType;
use crate::jobs::JobId;

/// Where the checked-in declarations live, relative to the repository root.
pub const DECLARATIONS_PATH: &str = "ui/ipc-types.d.ts";

/// The full text of [`DECLARATIONS_PATH`].
pub fn typescript_declarations() -> String {
    let cfg = Config::default();
    let decls = [
        ErrorKind::decl(&cfg),
        CommandError::decl(&cfg),
        AppInfo::decl(&cfg),
        RepoType::decl(&cfg),
        JobId::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust IPC types by src-tauri/app/ipc_types.rs. Do not edit:\n\
         // run `MODELSHELF_BLESS=1 cargo test ipc_types` to regenerate.\n",
    );
    for decl in decls {
        out.push_str("\nexport ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}
