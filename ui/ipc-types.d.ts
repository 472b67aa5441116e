// Generated from the Rust IPC types by src-tauri/app/ipc_types.rs. Do not edit:
// run `MODELSHELF_BLESS=1 cargo test ipc_types` to regenerate.

export type ErrorKind = "notFound" | "unauthorized" | "gated" | "network" | "diskFull" | "checksum" | "cancelled" | "inUse" | "invalidInput" | "io" | "internal";

export type CommandError = { kind: ErrorKind, message: string, };

export type AppInfo = { version: string, 
/**
 * The Hub endpoint in use (`HF_ENDPOINT` or the public Hub).
 */
endpoint: string, 
/**
 * The cache root shared with Python's `huggingface_hub`.
 */
cacheDir: string, 
/**
 * Whether an access token was found (its value never crosses IPC).
 */
hasToken: boolean, 
/**
 * `HF_HUB_OFFLINE` is set.
 */
offline: boolean, };

export type RepoType = "model" | "dataset" | "space";

export type JobId = string;
