//! `ui/ipc-types.d.ts` is generated from the Rust IPC types; this test fails when the
//! checked-in copy is stale, and rewrites it when `MODELSHELF_BLESS=1` is set.

use modelshelf::ipc_types::{DECLARATIONS_PATH, typescript_declarations};

use crate::support::repo_root;

#[test]
fn checked_in_typescript_matches_the_rust_types() {
    let path = repo_root().join(DECLARATIONS_PATH);
    let generated = typescript_declarations();
    if std::env::var_os("MODELSHELF_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{DECLARATIONS_PATH} is stale: run `MODELSHELF_BLESS=1 cargo test ipc_types` and commit it"
    );
}

#[test]
fn declarations_cover_the_error_shape() {
    let ts = typescript_declarations();
    assert!(
        ts.contains(
            "export type ErrorReport = { kind: ErrorKind, message: string, repo?: string, "
        ),
        "{ts}"
    );
    assert!(ts.contains("\"notFound\""), "{ts}");
}
