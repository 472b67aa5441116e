// @ts-check
/** The window's one polite live region (#announcer in index.html): what a screen reader should
 * hear without the person going to look (a download's phase changing, an error, the Hub going
 * away or coming back). Everything else that changes is silent until visited. */

/** Long enough for a screen reader to have read it; short enough not to pile up as a backlog
 * for someone who later reads the page line by line. */
const KEEP_MS = 15_000;

/**
 * Says `text` politely. Each message is a node of its own, so two in quick succession are both
 * read, and the same words twice are read twice.
 * @param {string} text
 */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region || !text) return;
  const line = document.createElement("p");
  line.textContent = text;
  region.append(line);
  setTimeout(() => line.remove(), KEEP_MS);
}

/** Whether `el` sits in a live region already, which reads it out by itself. @param {Element} el */
export function insideLiveRegion(el) {
  return el.closest("[aria-live], [role=status], [role=alert], [role=log]") !== null;
}
