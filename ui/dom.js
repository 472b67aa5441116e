// @ts-check
/** Building the page without innerHTML: text always goes in as text. */

/**
 * Creates an element with attributes, event handlers (`onclick`...) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children) {
    if (child == null || child === false) continue;
    el.append(child);
  }
  return el;
}

/**
 * Asks a question in a modal dialog; resolves to whether the person confirmed.
 * @param {string} title
 * @param {string} message
 * @param {string} confirmLabel
 * @returns {Promise<boolean>}
 */
export function confirmDialog(title, message, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      h("p", {}, message),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "secondary", value: "cancel", onclick: () => dialog.close("cancel") }, "Keep it"),
        h("button", { type: "button", class: "danger", value: "confirm", onclick: () => dialog.close("confirm") }, confirmLabel),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A message for an error, with a retry button when there is something to retry.
 * @param {import("./ipc-types").ErrorReport} error
 * @param {(() => void) | null} [retry]
 */
export function errorBox(error, retry = null) {
  const hints = {
    network: "The Hub could not be reached. Check the connection or the endpoint in Settings.",
    unauthorized: "The Hub refused the access token. Check it in Settings.",
    gated: "This model is gated: accept its terms on the Hub, and add a token in Settings.",
    notFound: "",
    diskFull: "Free some space, or choose another cache folder in Settings.",
  };
  const hint = /** @type {Record<string, string>} */ (hints)[error.kind] ?? "";
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("p", { class: "error" }, error.message),
    hint ? h("p", { class: "hint" }, hint) : null,
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
}
