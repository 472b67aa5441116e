// @ts-check
/** The frontend's only door to the backend: typed wrappers around Tauri's `invoke`. */

/** @typedef {import("./ipc-types").AppInfo} AppInfo */
/** @typedef {import("./ipc-types").ErrorReport} ErrorReport */

/**
 * Calls a backend command. Failures are always a {@link ErrorReport}, even when the IPC
 * itself breaks, so views only ever handle one error shape.
 * @template T
 * @param {string} cmd
 * @param {Record<string, unknown>} [args]
 * @returns {Promise<T>}
 */
export async function call(cmd, args) {
  const tauri = window.__TAURI__;
  if (!tauri) {
    throw /** @type {ErrorReport} */ ({ kind: "internal", message: "Modelshelf's backend is not available." });
  }
  try {
    return await tauri.core.invoke(cmd, args);
  } catch (err) {
    throw asErrorReport(err);
  }
}

/**
 * @param {unknown} err
 * @returns {ErrorReport}
 */
export function asErrorReport(err) {
  if (err && typeof err === "object" && "kind" in err && "message" in err) {
    return /** @type {ErrorReport} */ (err);
  }
  return { kind: "internal", message: String(err) };
}

/** @returns {Promise<AppInfo>} */
export function appInfo() {
  return call("app_info");
}
