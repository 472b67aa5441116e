// @ts-check
/** Numbers as people read them: sizes, speeds, durations, counts, dates. */

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** @param {number | null | undefined} bytes */
export function bytes(bytes) {
  if (bytes == null) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

/** @param {number} bytesPerSecond */
export function speed(bytesPerSecond) {
  return bytesPerSecond > 0 ? `${bytes(bytesPerSecond)}/s` : "—";
}

/** @param {number | null | undefined} seconds */
export function duration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** @param {number} n */
export function count(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** @param {string | number | null | undefined} when ISO date or Unix seconds */
export function ago(when) {
  if (when == null) return "—";
  const time = typeof when === "number" ? when * 1000 : Date.parse(when);
  if (!Number.isFinite(time)) return "—";
  const s = Math.max(0, (Date.now() - time) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 86400 * 30) return `${Math.floor(s / 86400)} days ago`;
  return new Date(time).toLocaleDateString();
}

/**
 * A count with its noun in the right number: "1 file", "3 files", "1 repository".
 * @param {number} n @param {string} one @param {string} [many] the plural, when not `one` + "s"
 */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
