// @ts-check
/** What each view shows until its feature lands: an honest empty state, not fake data. */

/** @type {Record<string, string>} */
export const EMPTY_STATES = {
  browse: "Search the Hugging Face Hub for models. Search and model pages are on their way.",
  downloads: "No downloads yet. Jobs you start will show here with a progress bar and a Cancel button.",
  library: "Models in your local Hugging Face cache will be listed here.",
};

/**
 * @param {HTMLElement} section
 * @param {string} text
 */
export function renderEmpty(section, text) {
  const box = document.createElement("p");
  box.className = "empty";
  box.textContent = text;
  section.append(box);
}
