// Practice pages (quiz/templates/practice): no double submit of an answer; the mock exam's
// countdown, autosave of each answer through the attempt API, and submit at zero.
// Loaded with <script src defer> (the CSP forbids inline script). Every page works without it:
// answers and the mock exam are plain forms. User text is only ever written with textContent.
"use strict";
(function () {
  // ---- one answer per press ----------------------------------------------------------------------
  document.querySelectorAll("form[data-practice-answer]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      // keep the pressed button's name/value (不会 vs 提交): disable the others only
      const pressed = event.submitter;
      form.querySelectorAll("button[type=submit]").forEach((b) => { if (b !== pressed) b.disabled = true; });
    });
  });

  // ---- mock exam ---------------------------------------------------------------------------------
  const mock = document.querySelector("form[data-mock-form]");
  if (!mock) return;
  const words = JSON.parse(mock.dataset.messages || "{}");
  const timer = document.querySelector("[data-mock-timer]");
  const state = document.querySelector("[data-mock-state]");
  const saveBase = mock.dataset.saveUrl;
  const csrf = mock.dataset.csrf;
  const deadline = performance.now() + Number(mock.dataset.remaining || 0) * 1000;
  let submitting = false;
  let pending = 0;

  // A count message arrives as {one, other} (the language's forms); pick by values.n.
  const plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "zh-CN") : null;

  function fill(template, values) {
    if (template && typeof template === "object") {
      const n = Number(values.n);
      template = (plurals ? plurals.select(n) : (n === 1 ? "one" : "other")) === "one" ? template.one : template.other;
    }
    return String(template || "").replace(/\{(\w+)\}/g, (_m, k) => (k in values ? values[k] : ""));
  }

  function show(text) {
    if (state) state.textContent = text;
  }

  function answerOf(box) {
    const type = box.dataset.type;
    const name = "q-" + box.dataset.question;
    const inputs = Array.from(box.querySelectorAll("[name='" + name + "']"));
    if (type === "multiple") {
      const chosen = inputs.filter((i) => i.checked).map((i) => i.value);
      return chosen.length ? chosen : null;
    }
    if (type === "single" || type === "true_false") {
      const chosen = inputs.find((i) => i.checked);
      if (!chosen) return null;
      return type === "true_false" ? chosen.value === "true" : chosen.value;
    }
    if (type === "fill_blank") {
      const blanks = inputs.map((i) => i.value);
      return blanks.some((b) => b.trim()) ? blanks : null;
    }
    const text = inputs.length ? inputs[0].value : "";
    return text.trim() ? text : null;
  }

  function save(box) {
    if (submitting) return;
    pending += 1;
    show(words.saving);
    fetch(saveBase + box.dataset.question, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      // Date.now() only grows, so a later answer always carries a higher seq than an earlier one
      body: JSON.stringify({ answer: answerOf(box), seq: Date.now() }),
    }).then((response) => {
      pending -= 1;
      show(response.ok ? (pending ? words.saving : words.saved) : words.offline);
    }).catch(() => {
      pending -= 1;
      show(words.offline);
    });
  }

  const timers = new Map();
  mock.querySelectorAll("[data-question]").forEach((box) => {
    box.addEventListener("change", () => save(box));
    box.addEventListener("input", (event) => {
      if (event.target.type !== "text" && event.target.tagName !== "TEXTAREA") return;
      clearTimeout(timers.get(box));
      timers.set(box, setTimeout(() => save(box), 800));
    });
  });

  function unanswered() {
    return Array.from(mock.querySelectorAll("[data-question]")).filter((box) => answerOf(box) === null).length;
  }

  mock.addEventListener("submit", (event) => {
    if (submitting) {
      event.preventDefault();
      return;
    }
    const n = unanswered();
    if (n && !window.confirm(fill(words.confirm_submit, { n: n }))) {
      event.preventDefault();
      return;
    }
    submitting = true;
  });

  function tick() {
    const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    if (timer) timer.textContent = fill(words.minutes_left, { m: Math.floor(left / 60), s: left % 60 });
    if (left <= 0) {
      if (!submitting) {
        submitting = true;
        show(words.time_up);
        mock.submit();
      }
      return;
    }
    setTimeout(tick, 1000);
  }
  tick();
})();
