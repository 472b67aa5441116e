// @ts-check
/** Whether the Hub endpoint answers, as the backend last found out. Views subscribe; the
 * backend's "connectivity-changed" event and "Try again" buttons keep it current. */

import * as ipc from "./ipc.js";

let online = true;
/** @type {Set<(online: boolean) => void>} */
const listeners = new Set();

export const isOnline = () => online;

/** @param {boolean} value */
export function set(value) {
  if (value === online) return;
  online = value;
  for (const listener of listeners) listener(online);
}

/** @param {(online: boolean) => void} listener @returns {() => void} */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Asks the backend to try the endpoint now; resolves to whether it answers. */
export async function check() {
  const answers = await ipc.checkConnection();
  set(answers);
  return answers;
}
