// @ts-check
/** Building the page without innerHTML: text always goes in as text. */

import { announce, insideLiveRegion } from "./announce.js";
import { freeSpace, nextSteps } from "./errors.js";
import * as fmt from "./format.js";
import { asErrorReport } from "./ipc.js";

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
    // Escape closes a modal dialog by itself; Alt+Left, "back" everywhere else, does too.
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft" && event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
        event.preventDefault();
        dialog.close("cancel");
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * An error as the person sees it: what happened, what to do, and the buttons that do it (the
 * wording and the buttons come from {@link nextSteps}, the one place that decides them).
 * Its title is announced, unless the box lands in a live region (which reads it anyway) or
 * `options.announce` is false (the view says it another way, as a failed job's news does).
 * @param {import("./ipc-types").ErrorReport} error
 * @param {(() => void) | null} [retry]
 * @param {import("./errors.js").About} [about]
 * @param {{announce?: boolean}} [options]
 */
export function errorBox(error, retry = null, about = {}, options = {}) {
  const steps = nextSteps(error, { ...about, retry: retry ?? about.retry ?? null });
  const text = h("p", { class: "hint" }, steps.text);
  const failed = h("p", { class: "error", role: "status" });
  const box = h(
    "div",
    { class: "error-box", "data-kind": error.kind },
    h("p", { class: "error-title" }, steps.title),
    steps.text ? text : null,
    steps.detail && steps.detail !== steps.title ? h("p", { class: "detail" }, steps.detail) : null,
    steps.actions.length ? actionButtons(steps.actions, failed, about.subject) : null,
    failed,
  );
  // Callers place the box right after building it; where it landed decides who says it. A
  // box in a view that is not shown (the Library refreshing at start) is not news yet.
  if (options.announce ?? true) queueMicrotask(() => {
    if (box.getClientRects().length > 0 && !insideLiveRegion(box)) announce(steps.title);
  });
  if (steps.freeSpace) {
    void freeSpace().then((free) => {
      if (free != null) text.after(h("p", { class: "hint free" }, `Free on the cache's disk now: ${fmt.bytes(free)}.`));
    });
  }
  return box;
}

/**
 * The buttons of an error's next steps; a step that fails says why in `failed`. With a
 * `subject` their accessible names say what they act on ("Retry, download of model.gguf
 * from acme/x"), so a list of failed jobs does not read as one Retry after another.
 * @param {import("./errors.js").Action[]} actions
 * @param {HTMLElement} failed
 * @param {string} [subject]
 */
export function actionButtons(actions, failed, subject) {
  return h(
    "div",
    { class: "actions" },
    ...actions.map((action) =>
      h(
        "button",
        {
          type: "button",
          class: action.primary || actions.length === 1 ? "" : "secondary",
          "data-action": action.id,
          "aria-label": subject ? `${action.label}, ${subject}` : null,
          onclick: () => {
            failed.replaceChildren();
            Promise.resolve()
              .then(action.run)
              .catch((/** @type {unknown} */ err) => failed.replaceChildren(asErrorReport(err).message));
          },
        },
        action.label,
      ),
    ),
  );
}

/**
 * Marks a button as busy, or not any more, with aria-disabled rather than `disabled`: a
 * disabled button drops the focus to <body>, and the keyboard user who pressed it would start
 * over at the top of the page. Its click handler checks {@link isBusy}.
 * @param {HTMLButtonElement} button
 * @param {boolean} busy
 */
export function setBusy(button, busy) {
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

/** @param {HTMLButtonElement} button */
export const isBusy = (button) => button.getAttribute("aria-disabled") === "true";

/** Whether `el` can take the focus now: in the page, shown, and not disabled.
 * @param {Element | null} el */
function canTakeFocus(el) {
  return el instanceof HTMLElement && el.isConnected && el.getClientRects().length > 0 && !(/** @type {HTMLButtonElement} */ (el).disabled);
}

/**
 * @typedef {Element | null | undefined | ((lost: Element) => Element | null | undefined)} FocusCandidate
 * An element, or a way to find one from the element that lost the focus.
 */

/**
 * Call before rebuilding part of `scope`, and call what it returns afterwards. If the rebuild
 * took the focus with it (removed, hid or disabled the focused element), the first candidate
 * that can take it gets it: a keyboard user stays where they were instead of starting over
 * from the top of the page. Focus that went somewhere else on purpose is left alone.
 * @param {Element} scope
 * @returns {(...candidates: FocusCandidate[]) => void}
 */
export function holdFocus(scope) {
  const had = document.activeElement;
  const inside = had !== null && had !== document.body && scope.contains(had);
  return (...candidates) => {
    const now = document.activeElement;
    if (!inside || had === null || !(now === null || now === document.body || (now === had && !canTakeFocus(had)))) return;
    for (const candidate of candidates) {
      const el = typeof candidate === "function" ? candidate(had) : candidate;
      if (el && canTakeFocus(el)) {
        /** @type {HTMLElement} */ (el).focus();
        return;
      }
    }
  };
}

/**
 * The control in `scope` that stands where `old` stood before a rebuild: the same name, the
 * same action, or a button with the same words.
 * @param {Element} scope
 * @param {Element} old
 * @returns {Element | null}
 */
export function counterpart(scope, old) {
  const name = old.getAttribute("name");
  if (name) return scope.querySelector(`[name="${CSS.escape(name)}"]`);
  const action = old.getAttribute("data-action");
  if (action) return scope.querySelector(`[data-action="${CSS.escape(action)}"]`);
  const words = old.textContent?.trim();
  if (old.tagName === "BUTTON" && words) return [...scope.querySelectorAll("button")].find((b) => b.textContent?.trim() === words) ?? null;
  return null;
}

/** Fallback fields shown so far: each help text gets an id of its own. */
let copyFallbacks = 0;

/**
 * Copies `text` and says so in `place`; where the clipboard is refused (a page without the
 * permission, some Linux sessions) the text is shown selected in a field instead, for Ctrl+C.
 * @param {string} text
 * @param {Element} place where the outcome is shown
 * @param {string} what its name, for the fallback field ("Path of model.gguf")
 */
export async function copyText(text, place, what) {
  try {
    await navigator.clipboard.writeText(text);
    place.replaceChildren(`Copied: ${text}`);
  } catch {
    const helpId = `copy-help-${++copyFallbacks}`;
    const field = h("input", { class: "copy-fallback", readonly: true, value: text, "aria-label": what, "aria-describedby": helpId });
    place.replaceChildren(h("span", { class: "copy-row" }, field, h("span", { class: "help", id: helpId }, "Copying was refused here: press Ctrl+C to copy the selected text.")));
    field.focus();
    field.select();
  }
}
