// The organizer's bank pages: question form (fields by type, option rows, live preview),
// select-all on the question list, and upload progress while an import is sent and read.
// Loaded with <script src defer> (the CSP forbids inline script). User text is only ever
// written with textContent or as form values, never as HTML.
"use strict";
(function () {
  const KEYS = "ABCDEFGH";
  const MIN_OPTIONS = 2;
  const DEFAULT_OPTIONS = 4;
  // Blanks in a fill-in stem, as question_bank.answers.BLANK_PATTERN reads them.
  const BLANK = /（\s*）|\(\s*\)|_{2,}|【\s*】|＿{2,}/g;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- question form ------------------------------------------------------------------------
  function questionForm(form) {
    const typeSelect = form.querySelector("select[name=type]");
    const rows = Array.from(form.querySelectorAll("[data-option-row]"));
    const inputs = rows.map((row) => row.querySelector("input"));
    const tools = form.querySelector(".option-tools");
    const addButton = form.querySelector("[data-add-option]");
    const removeButton = form.querySelector("[data-remove-option]");
    const box = document.querySelector("[data-preview-box]");
    const preview = document.querySelector("[data-preview]");
    const stem = form.querySelector("[name=stem]");
    let shown = Math.max(DEFAULT_OPTIONS, lastFilled() + 1);

    function lastFilled() {
      let last = -1;
      inputs.forEach((input, i) => { if (input.value.trim()) last = i; });
      return last;
    }

    function type() {
      return typeSelect ? typeSelect.value : "single";
    }

    function showRows() {
      shown = Math.min(rows.length, Math.max(MIN_OPTIONS, shown, lastFilled() + 1));
      rows.forEach((row, i) => { row.hidden = i >= shown; });
      if (addButton) addButton.disabled = shown >= rows.length;
      if (removeButton) removeButton.disabled = shown <= MIN_OPTIONS;
    }

    function showFieldsForType() {
      const current = type();
      form.querySelectorAll("[data-types]").forEach((node) => {
        node.hidden = !node.getAttribute("data-types").split(/\s+/).includes(current);
      });
    }

    function stemWithBlanks(text) {
      // The stem as a paragraph; in a fill-in, each blank becomes an (inactive) input box.
      const p = el("p", "q-stem");
      if (type() !== "fill_blank") {
        p.textContent = text;
        return p;
      }
      let last = 0;
      text.replace(BLANK, (match, offset) => {
        p.appendChild(document.createTextNode(text.slice(last, offset)));
        const blank = el("input", "q-blank");
        blank.type = "text";
        blank.disabled = true;
        p.appendChild(blank);
        last = offset + match.length;
        return match;
      });
      p.appendChild(document.createTextNode(text.slice(last)));
      return p;
    }

    function choice(kind, label) {
      const li = el("li");
      const lab = el("label");
      const input = el("input");
      input.type = kind;
      input.name = "preview-choice";
      input.disabled = true;
      lab.appendChild(input);
      lab.appendChild(document.createTextNode(" " + label));
      li.appendChild(lab);
      return li;
    }

    function renderPreview() {
      if (!preview) return;
      const current = type();
      const text = stem ? stem.value.trim() : "";
      preview.replaceChildren();
      preview.appendChild(text ? stemWithBlanks(text) : el("p", "muted", preview.dataset.labelEmpty || ""));
      if (current === "single" || current === "multiple") {
        const list = el("ol", "q-options");
        inputs.forEach((input, i) => {
          if (i < shown && input.value.trim()) {
            list.appendChild(choice(current === "single" ? "radio" : "checkbox", KEYS[i] + ". " + input.value.trim()));
          }
        });
        preview.appendChild(list);
      } else if (current === "true_false") {
        const list = el("ol", "q-options");
        list.appendChild(choice("radio", preview.dataset.labelTrue || "对"));
        list.appendChild(choice("radio", preview.dataset.labelFalse || "错"));
        preview.appendChild(list);
      } else if (current === "short_answer") {
        const area = el("textarea", "q-answer-area");
        area.disabled = true;
        area.rows = 3;
        area.setAttribute("aria-label", preview.dataset.labelAnswer || "");
        preview.appendChild(area);
      }
    }

    if (tools) tools.hidden = false;
    if (box) box.hidden = false;
    if (addButton) {
      addButton.addEventListener("click", () => {
        shown = Math.min(rows.length, shown + 1);
        showRows();
        const next = inputs[shown - 1];
        if (next) next.focus();
        renderPreview();
      });
    }
    if (removeButton) {
      removeButton.addEventListener("click", () => {
        if (shown <= MIN_OPTIONS) return;
        inputs[shown - 1].value = "";
        shown -= 1;
        showRows();
        renderPreview();
      });
    }
    form.addEventListener("input", renderPreview);
    form.addEventListener("change", () => { showFieldsForType(); renderPreview(); });
    showFieldsForType();
    showRows();
    renderPreview();
  }

  // ---- question list: select every question on the page --------------------------------------
  function checkAll(box) {
    const form = box.closest("form");
    if (!form) return;
    const boxes = () => Array.from(form.querySelectorAll("input[type=checkbox][name=ids]"));
    const wrapper = box.closest("[hidden]");
    if (wrapper) wrapper.hidden = false;
    box.addEventListener("change", () => boxes().forEach((b) => { b.checked = box.checked; }));
    form.addEventListener("change", (event) => {
      if (event.target !== box && event.target.name === "ids") {
        const all = boxes();
        box.checked = all.length > 0 && all.every((b) => b.checked);
      }
    });
  }

  // ---- import: upload progress, then a note while the server reads the file ------------------
  // The form is sent with XMLHttpRequest so the upload can show a progress bar; the server
  // answers with a redirect to the preview (or the form again with errors), which we follow.
  // Without JavaScript the form posts normally and only the busy note is missing.
  function importForm(form) {
    const note = form.querySelector("[data-busy]");
    const bar = form.querySelector("progress[data-upload-progress]");
    form.addEventListener("submit", (event) => {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      if (note) {
        note.textContent = form.getAttribute("data-uploading-text") || "";
        note.hidden = false;
      }
      if (bar) { bar.hidden = false; bar.value = 0; }
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", (e) => {
        if (bar && e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.upload.addEventListener("load", () => {
        if (bar) bar.value = 100;
        if (note) note.textContent = form.getAttribute("data-busy-text") || "";
      });
      xhr.addEventListener("load", () => {
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.location.assign(xhr.responseURL);
        } else {
          document.open();
          document.write(xhr.responseText); // the server's own page (the form with its errors)
          document.close();
        }
      });
      xhr.addEventListener("error", () => {
        if (button) button.disabled = false;
        if (note) note.textContent = form.getAttribute("data-failed-text") || "";
      });
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-question-form]").forEach(questionForm);
    document.querySelectorAll("input[data-check-all]").forEach(checkAll);
    document.querySelectorAll("form[data-import-form]").forEach(importForm);
  });
})();
