// The attempt page (quiz/templates/take/attempt.html): loads the attempt from
// GET /api/v1/attempts/<id>, shows one question per screen with a navigator (all questions on one
// page on wide screens when the contest allows), saves every answer as it is given through
// AttemptQueue (attempt-queue.js), counts down to the server's deadline and submits at zero.
//
// Time: the countdown runs on performance.now() from the server's remaining_seconds, resynced
// by every save acknowledgement, every 60 s and whenever the page becomes visible again. Saves
// stop just before deadline + grace (the server refuses later ones); at zero the page sends what
// it can within the grace and submits.
// Integrity: leaving the page (visibilitychange) and paste events are counted when the contest
// says so, kept in storage and posted as cumulative counters to /events (the server keeps the max).
// User text is only ever written with textContent, never as HTML. No inline script (CSP).
"use strict";
(function () {
  const root = document.getElementById("attempt");
  if (!root || !window.AttemptQueue) return;

  const data = root.dataset;
  const M = JSON.parse(data.messages || "{}");
  const API = data.api; // /api/v1/attempts/<id>
  const ATTEMPT_ID = data.attemptId;
  const ONE_PAGE = data.onePage === "true";
  const COUNT_SWITCHES = data.countTabSwitches === "true";
  const COUNT_PASTES = data.countPastes === "true";
  const AUTO_SUBMIT_AFTER = parseInt(data.autoSubmitAfter, 10) || null;
  const GRACE_MS = (parseFloat(data.graceSeconds) || 5) * 1000;
  const MAX_BLANK = parseInt(data.maxBlank, 10) || 500;
  const MAX_TEXT = parseInt(data.maxText, 10) || 5000;
  const TEXT_DELAY_MS = 800; // typing: send after a pause (every keystroke is already in storage)
  const REQUEST_TIMEOUT_MS = 15000;
  const RESYNC_MS = 60000;
  const WIDE = window.matchMedia("(min-width: 60rem)");
  // Blanks in a fill-in stem, as question_bank.answers.BLANK_PATTERN reads them.
  const BLANK = /（\s*）|\(\s*\)|_{2,}|【\s*】|＿{2,}/g;
  const STORE = "quiz.attempt." + ATTEMPT_ID + ".";

  const meta = document.querySelector('meta[name="csrf-token"]');
  let csrfToken = meta ? meta.getAttribute("content") : "";

  const $ = (id) => document.getElementById(id);
  const ui = {
    countdown: $("countdown"), status: $("save-status"), statusLabel: $("save-label"), statusDetail: $("save-detail"),
    timeNotice: $("time-notice"), integrity: $("integrity-note"), alert: $("attempt-alert"), loading: $("attempt-loading"),
    layout: $("attempt-layout"), position: $("position"), questions: $("questions"), steps: $("step-buttons"),
    prev: $("prev"), next: $("next"), progress: $("progress"), navigator: $("navigator"), submit: $("submit"),
    dialog: $("submit-dialog"), summary: $("submit-summary"), submitError: $("submit-error"),
    submitCancel: $("submit-cancel"), submitConfirm: $("submit-confirm"),
    finished: $("finished"), finishedText: $("finished-text"), finishedLost: $("finished-lost"),
  };

  const state = {
    items: [], // [{q, node, title, navButton, markButton, controls, read, write, answer}]
    byId: {},
    index: 0,
    marks: {},
    deadline: null, // performance.now() when the server's deadline falls
    finishing: false, // time is up or a submission is under way: no more answers
    finished: false,
    warned: {},
    status: "",
  };

  // A count message arrives as {one, other} (the language's forms); pick by params.n.
  const PLURALS = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "zh-CN") : null;

  function fmt(text, params) {
    if (text && typeof text === "object") {
      const n = Number(params && params.n);
      text = (PLURALS ? PLURALS.select(n) : (n === 1 ? "one" : "other")) === "one" ? text.one : text.other;
    }
    return String(text || "").replace(/\{(\w+)\}/g, (all, name) => (params && name in params ? String(params[name]) : all));
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((name) => node.setAttribute(name, attrs[name]));
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function local(name, fallback) {
    try {
      const raw = window.localStorage.getItem(STORE + name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function keep(name, value) {
    try { window.localStorage.setItem(STORE + name, JSON.stringify(value)); } catch (e) { /* best effort */ }
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // ---- HTTP ------------------------------------------------------------------------------------
  async function request(method, url, body, extra) {
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : null;
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
    try {
      const response = await fetch(url, Object.assign({
        method: method, headers: headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body), signal: controller ? controller.signal : undefined,
      }, extra || {}));
      let json = null;
      try { json = await response.json(); } catch (e) { json = null; }
      return { status: response.status, body: json };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function refreshToken() {
    const response = await request("GET", data.sessionUrl);
    if (response.status === 200 && response.body && response.body.csrf_token) csrfToken = response.body.csrf_token;
  }

  function errorText(response) {
    return response && response.body && response.body.error ? response.body.error.message : String(response ? response.status : "");
  }

  // ---- the queue and the save status -------------------------------------------------------------
  const queue = new window.AttemptQueue({
    attemptId: ATTEMPT_ID,
    send: (questionId, body) => request("PUT", API + "/responses/" + questionId, body),
    refreshToken: refreshToken,
    onChange: renderStatus,
    onAck: (questionId, entry, body) => {
      if (typeof body.remaining_seconds === "number") syncClock(body.remaining_seconds);
      if (body.stored === false) showServerAnswer(questionId); // a newer answer (another device) was kept
      sendEvents();
    },
    onRejected: (questionId, entry, message) => {
      const item = state.byId[questionId];
      showAlert(fmt(M.rejected, { n: item ? item.q.position : "?", message: message }));
    },
    onStopped: (code) => finish(code === "deadline_passed" ? "time_up" : "other", queue.discard()),
  });

  function renderStatus() {
    const pending = queue.size();
    let key = "saved";
    let detail = "";
    if (queue.connection === "offline") {
      key = "offline";
      detail = pending ? fmt(M.pending_local, { n: pending }) : "";
    } else if (queue.connection === "signed_out") {
      key = "offline";
      detail = M.signed_out;
    } else if (pending) {
      key = "saving";
      detail = queue.connection === "error" ? M.server_busy : "";
    }
    const shown = key + "|" + detail;
    if (shown === state.status) return;
    state.status = shown;
    ui.status.setAttribute("data-state", key);
    ui.statusLabel.textContent = M[key];
    ui.statusDetail.textContent = detail;
  }

  function showAlert(text) {
    ui.alert.textContent = text;
    ui.alert.hidden = !text;
  }

  // ---- time ---------------------------------------------------------------------------------------
  function syncClock(remainingSeconds) {
    // remaining_seconds is whole seconds, floored, at response time: ignore differences under 1.5 s
    // so the display does not jitter; an extension or a closed-early contest moves it at once.
    const estimate = performance.now() + remainingSeconds * 1000;
    if (state.deadline === null || Math.abs(estimate - state.deadline) > 1500) state.deadline = estimate;
    queue.cutoff = state.deadline + GRACE_MS - 1000; // stop autosaving just before deadline + grace
  }

  function clockText(ms) {
    const total = Math.ceil(ms / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const pad = (n) => (n < 10 ? "0" : "") + n;
    return (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
  }

  function tick() {
    if (state.deadline === null || state.finished) return;
    const ms = Math.max(0, state.deadline - performance.now());
    const text = clockText(ms);
    if (ui.countdown.textContent !== text) ui.countdown.textContent = text;
    ui.countdown.classList.toggle("low", ms < 5 * 60 * 1000);
    [5, 1].forEach((minutes) => {
      if (!state.warned[minutes] && ms <= minutes * 60000 && ms > (minutes * 60000 - 30000)) {
        state.warned[minutes] = true;
        ui.timeNotice.textContent = fmt(M.time_warning, { n: minutes });
      }
    });
    if (ms <= 0 && !state.finishing) timeUp();
  }

  async function resync() {
    if (state.finished) return;
    let response;
    try { response = await request("GET", API); } catch (e) { return; }
    if (response.status !== 200 || !response.body) return;
    if (response.body.status !== "in_progress") {
      finish(response.body.status === "expired" ? "time_up" : "other", queue.discard());
      return;
    }
    syncClock(response.body.remaining_seconds);
  }

  async function showServerAnswer(questionId) {
    let response;
    try { response = await request("GET", API); } catch (e) { return; }
    const item = state.byId[questionId];
    if (!item || response.status !== 200 || !response.body || queue.pendingFor(questionId)) return;
    const server = (response.body.responses || {})[String(questionId)];
    item.answer = server ? server.value : null;
    item.write(item.answer);
    renderNav(item);
    renderProgress();
  }

  async function timeUp() {
    state.finishing = true;
    disableAnswers();
    ui.timeNotice.textContent = M.time_up;
    showAlert("");
    // The server still takes saves within the grace: send what is queued until just before then.
    await queue.flush(queue.cutoff);
    const lost = queue.size() ? queue.discard() : 0;
    finish("time_up", lost);
    for (let tries = 0; tries < 120; tries++) { // grade it now; if offline the server finalises it on its own
      try {
        const response = await request("POST", API + "/submit", {});
        if (response.status === 200) return;
        if (response.body && response.body.error && response.body.error.code === "csrf_failed") await refreshToken();
      } catch (e) { /* offline: try again */ }
      await sleep(5000);
    }
  }

  function finish(kind, lost) {
    if (state.finished) return;
    state.finished = true;
    state.finishing = true;
    queue.stop("finished", "", true);
    forget();
    disableAnswers();
    if (ui.dialog.open) ui.dialog.close();
    if (kind === "time_up") ui.countdown.textContent = clockText(0);
    ui.layout.hidden = true;
    ui.loading.hidden = true;
    ui.finishedText.textContent = kind === "time_up" ? M.finished_time_up : (kind === "submitted" ? M.finished_submitted : M.finished_other);
    ui.finishedLost.hidden = !lost;
    ui.finishedLost.textContent = lost ? fmt(M.lost_answers, { n: lost }) : "";
    ui.finished.hidden = false;
    ui.finished.focus();
  }

  function forget() {
    // The attempt is over: leave nothing of it in this browser (a shared computer in a unit office).
    ["answers", "marks", "index", "integrity"].forEach((name) => {
      try { window.localStorage.removeItem(STORE + name); } catch (e) { /* storage unavailable */ }
    });
  }

  // ---- questions -----------------------------------------------------------------------------------
  function isAnswered(type, value) {
    if (value === null || value === undefined) return false;
    if (type === "multiple") return Array.isArray(value) && value.length > 0;
    if (type === "fill_blank") return Array.isArray(value) && value.some((v) => v && String(v).trim());
    if (type === "short_answer") return String(value).trim().length > 0;
    return true;
  }

  function choiceControls(q, section) {
    const fieldset = el("fieldset", { class: "q-choices" });
    fieldset.appendChild(el("legend", { class: "q-stem" }, q.stem));
    const choices = q.type === "true_false"
      ? [{ key: "true", text: M["true"] }, { key: "false", text: M["false"] }]
      : q.options;
    const inputs = choices.map((option) => {
      const id = "q" + q.id + "-" + option.key;
      const input = el("input", { type: q.type === "multiple" ? "checkbox" : "radio", name: "q" + q.id, value: option.key, id: id });
      const label = el("label", { class: "choice", for: id });
      label.appendChild(input);
      if (q.type !== "true_false") label.appendChild(el("span", { class: "q-key" }, option.key + "."));
      label.appendChild(el("span", { class: "choice-text" }, option.text));
      fieldset.appendChild(label);
      return input;
    });
    section.appendChild(fieldset);
    const read = () => {
      const checked = inputs.filter((i) => i.checked).map((i) => i.value);
      if (q.type === "multiple") return checked.sort();
      if (!checked.length) return null;
      return q.type === "true_false" ? checked[0] === "true" : checked[0];
    };
    const write = (value) => {
      inputs.forEach((input) => {
        if (q.type === "multiple") input.checked = Array.isArray(value) && value.indexOf(input.value) >= 0;
        else input.checked = value !== null && value !== undefined && String(value) === input.value;
      });
    };
    fieldset.addEventListener("change", () => answered(q, read(), 0));
    return { controls: inputs, read: read, write: write };
  }

  function blankInput(q, n) {
    return el("input", { type: "text", class: "q-blank", maxlength: String(MAX_BLANK), autocomplete: "off",
      "aria-label": fmt(M.blank_n, { n: n + 1 }), id: "q" + q.id + "-blank-" + (n + 1) });
  }

  function fillControls(q, section) {
    const stem = el("p", { class: "q-stem", id: "q" + q.id + "-stem" });
    const inputs = [];
    let last = 0;
    BLANK.lastIndex = 0;
    let match;
    while ((match = BLANK.exec(q.stem)) !== null) {
      stem.appendChild(document.createTextNode(q.stem.slice(last, match.index)));
      if (inputs.length < q.blanks) {
        const input = blankInput(q, inputs.length);
        inputs.push(input);
        stem.appendChild(input);
      } else {
        stem.appendChild(document.createTextNode(match[0]));
      }
      last = match.index + match[0].length;
    }
    stem.appendChild(document.createTextNode(q.stem.slice(last)));
    section.appendChild(stem);
    while (inputs.length < Math.max(1, q.blanks)) { // blanks the stem does not mark: one labelled box each
      const input = blankInput(q, inputs.length);
      const label = el("label", { class: "blank-row", for: input.id }, fmt(M.blank_n, { n: inputs.length + 1 }));
      inputs.push(input);
      section.appendChild(label);
      section.appendChild(input);
    }
    const read = () => inputs.map((i) => i.value);
    const write = (value) => inputs.forEach((input, k) => { input.value = Array.isArray(value) && value[k] ? value[k] : ""; });
    inputs.forEach((input) => {
      input.addEventListener("input", () => answered(q, read(), TEXT_DELAY_MS));
      input.addEventListener("change", () => queue.schedule(0));
    });
    return { controls: inputs, read: read, write: write };
  }

  function textControls(q, section) {
    section.appendChild(el("p", { class: "q-stem", id: "q" + q.id + "-stem" }, q.stem));
    const id = "q" + q.id + "-text";
    section.appendChild(el("label", { for: id, class: "answer-label" }, M.your_answer));
    const area = el("textarea", { id: id, rows: "6", maxlength: String(MAX_TEXT), class: "q-answer-area" });
    section.appendChild(area);
    area.addEventListener("input", () => answered(q, area.value, TEXT_DELAY_MS));
    area.addEventListener("change", () => queue.schedule(0));
    return { controls: [area], read: () => area.value, write: (value) => { area.value = value || ""; } };
  }

  function buildQuestion(q, index) {
    const section = el("section", { class: "question card", id: "q-" + q.position, "aria-labelledby": "q-" + q.position + "-title" });
    const title = el("h2", { id: "q-" + q.position + "-title", class: "q-title", tabindex: "-1" });
    title.appendChild(document.createTextNode(fmt(M.question_n, { n: q.position }) + " "));
    title.appendChild(el("span", { class: "tag" }, M[q.type] || q.type));
    title.appendChild(el("span", { class: "q-points" }, fmt(M.points, { points: q.points })));
    section.appendChild(title);
    let parts;
    if (q.type === "fill_blank") parts = fillControls(q, section);
    else if (q.type === "short_answer") parts = textControls(q, section);
    else parts = choiceControls(q, section);
    const markButton = el("button", { type: "button", class: "mark-button", "aria-pressed": "false" }, "⚑ " + M.mark);
    markButton.addEventListener("click", () => toggleMark(q.id));
    section.appendChild(markButton);
    const navButton = el("button", { type: "button", class: "nav-item" });
    navButton.addEventListener("click", () => go(index, true));
    const li = el("li");
    li.appendChild(navButton);
    ui.navigator.appendChild(li);
    ui.questions.appendChild(section);
    return Object.assign({ q: q, node: section, title: title, navButton: navButton, markButton: markButton, answer: null }, parts);
  }

  function answered(q, value, delay) {
    if (state.finishing) return;
    const item = state.byId[q.id];
    item.answer = value;
    queue.put(q.id, value, delay);
    renderNav(item);
    renderProgress();
  }

  function toggleMark(questionId) {
    state.marks[questionId] = !state.marks[questionId];
    if (!state.marks[questionId]) delete state.marks[questionId];
    keep("marks", state.marks);
    renderNav(state.byId[questionId]);
  }

  function renderNav(item) {
    const answered = isAnswered(item.q.type, item.answer);
    const marked = !!state.marks[item.q.id];
    item.navButton.textContent = item.q.position + (marked ? " ⚑" : "");
    item.navButton.classList.toggle("answered", answered);
    item.navButton.classList.toggle("marked", marked);
    item.navButton.setAttribute("aria-label", fmt(marked ? M.nav_item_marked : M.nav_item, {
      n: item.q.position, state: answered ? M.answered : M.unanswered,
    }));
    item.markButton.setAttribute("aria-pressed", marked ? "true" : "false");
  }

  function renderProgress() {
    const done = state.items.filter((item) => isAnswered(item.q.type, item.answer)).length;
    ui.progress.textContent = fmt(M.progress, { answered: done, total: state.items.length });
  }

  function onePage() {
    return ONE_PAGE && WIDE.matches;
  }

  function layout() {
    const all = onePage();
    root.classList.toggle("one-page", all);
    state.items.forEach((item, i) => { item.node.hidden = !all && i !== state.index; });
    ui.steps.hidden = all;
    ui.position.hidden = all;
    renderPosition();
  }

  function renderPosition() {
    const total = state.items.length;
    ui.position.textContent = fmt(M.of_total, { n: state.index + 1, total: total });
    ui.prev.disabled = state.index <= 0;
    ui.next.disabled = state.index >= total - 1;
    state.items.forEach((item, i) => {
      if (i === state.index && !onePage()) item.navButton.setAttribute("aria-current", "step");
      else item.navButton.removeAttribute("aria-current");
    });
  }

  function go(index, focus) {
    if (index < 0 || index >= state.items.length) return;
    state.index = index;
    keep("index", index);
    if (onePage()) {
      state.items[index].node.scrollIntoView({ block: "start" });
    } else {
      state.items.forEach((item, i) => { item.node.hidden = i !== index; });
    }
    renderPosition();
    if (focus) state.items[index].title.focus();
  }

  function disableAnswers() {
    state.items.forEach((item) => item.controls.forEach((control) => { control.disabled = true; }));
    ui.submit.disabled = true;
  }

  // ---- submit -----------------------------------------------------------------------------------------
  function openSubmitDialog() {
    if (state.finishing) return;
    ui.submitError.textContent = "";
    ui.summary.textContent = "";
    const unanswered = state.items.filter((item) => !isAnswered(item.q.type, item.answer));
    if (unanswered.length) {
      ui.summary.appendChild(el("p", null, fmt(M.confirm_unanswered, { n: unanswered.length })));
      const list = el("ul", { class: "unanswered-list" });
      unanswered.forEach((item) => {
        const button = el("button", { type: "button", class: "nav-item" }, String(item.q.position));
        button.setAttribute("aria-label", fmt(M.question_n, { n: item.q.position }));
        button.addEventListener("click", () => {
          ui.dialog.close();
          go(state.items.indexOf(item), true);
        });
        const li = el("li");
        li.appendChild(button);
        list.appendChild(li);
      });
      ui.summary.appendChild(list);
    } else {
      ui.summary.appendChild(el("p", null, M.confirm_all));
    }
    const marked = state.items.filter((item) => state.marks[item.q.id]).length;
    if (marked) ui.summary.appendChild(el("p", null, fmt(M.confirm_marked, { n: marked })));
    ui.submitConfirm.disabled = false;
    if (typeof ui.dialog.showModal === "function") {
      ui.dialog.showModal();
      ui.submitCancel.focus();
    } else if (window.confirm(ui.summary.textContent)) {
      confirmSubmit();
    }
  }

  async function confirmSubmit() {
    if (state.finishing) return;
    ui.submitConfirm.disabled = true;
    ui.submitError.textContent = M.submitting;
    const saved = await queue.flush(performance.now() + 10000);
    if (!saved) {
      ui.submitError.textContent = fmt(M.submit_unsaved, { n: queue.size() });
      ui.submitConfirm.disabled = false;
      return;
    }
    state.finishing = true;
    for (let tries = 0; tries < 2; tries++) {
      let response;
      try {
        response = await request("POST", API + "/submit", {});
      } catch (e) {
        state.finishing = false;
        ui.submitError.textContent = M.submit_offline;
        ui.submitConfirm.disabled = false;
        return;
      }
      if (response.status === 200) {
        finish("submitted", 0);
        window.location.assign(data.resultUrl);
        return;
      }
      if (response.body && response.body.error && response.body.error.code === "csrf_failed" && tries === 0) {
        await refreshToken();
        continue;
      }
      state.finishing = false;
      ui.submitError.textContent = fmt(M.submit_failed, { message: errorText(response) });
      ui.submitConfirm.disabled = false;
      return;
    }
  }

  // ---- integrity ----------------------------------------------------------------------------------------
  const integrity = local("integrity", { tab_switches: 0, pastes: 0, dirty: false });
  integrity.tab_switches = Math.max(integrity.tab_switches || 0, parseInt(data.tabSwitches, 10) || 0);
  integrity.pastes = Math.max(integrity.pastes || 0, parseInt(data.pastes, 10) || 0);
  let hiddenSince = null;
  let sendingEvents = false;

  function renderIntegrity() {
    const parts = [];
    if (COUNT_SWITCHES && integrity.tab_switches) {
      parts.push(AUTO_SUBMIT_AFTER ? fmt(M.switches_limit, { n: integrity.tab_switches, limit: AUTO_SUBMIT_AFTER })
        : fmt(M.switches, { n: integrity.tab_switches }));
    }
    if (COUNT_PASTES && integrity.pastes) parts.push(fmt(M.pastes, { n: integrity.pastes }));
    ui.integrity.textContent = parts.join("；");
    ui.integrity.hidden = !parts.length;
  }

  async function sendEvents() {
    if (!integrity.dirty || sendingEvents || state.finished) return;
    const body = {};
    if (COUNT_SWITCHES) body.tab_switches = integrity.tab_switches;
    if (COUNT_PASTES) body.pastes = integrity.pastes;
    sendingEvents = true;
    try {
      const response = await request("POST", API + "/events", body, { keepalive: true });
      if (response.status === 200 && response.body) {
        if (integrity.tab_switches === body.tab_switches && integrity.pastes === body.pastes) {
          integrity.dirty = false;
          keep("integrity", integrity);
        }
        if (response.body.status && response.body.status !== "in_progress") finish("other", queue.discard());
      }
    } catch (e) {
      /* offline: sent with the next acknowledged save, or when the network is back */
    } finally {
      sendingEvents = false;
    }
  }

  function countEvent(name) {
    integrity[name] += 1;
    integrity.dirty = true;
    keep("integrity", integrity);
    renderIntegrity();
    sendEvents();
  }

  // ---- start ---------------------------------------------------------------------------------------------
  function begin(payload) {
    syncClock(payload.remaining_seconds);
    state.marks = local("marks", {});
    payload.questions.forEach((q, index) => {
      const item = buildQuestion(q, index);
      state.items.push(item);
      state.byId[q.id] = item;
    });
    // Resume: the server's answers, unless this browser holds a newer one not yet acknowledged.
    const responses = payload.responses || {};
    state.items.forEach((item) => {
      const server = responses[String(item.q.id)];
      if (server) queue.noteServerSeq(server.seq);
      const pending = queue.pendingFor(item.q.id);
      let value = server ? server.value : null;
      if (pending && (!server || pending.seq > server.seq)) value = pending.answer;
      else if (pending) queue.drop(item.q.id, pending.seq); // the server already has it, or something newer
      item.answer = value;
      item.write(value);
      renderNav(item);
    });
    renderProgress();
    const saved = local("index", 0);
    state.index = Math.min(Math.max(0, saved | 0), state.items.length - 1);
    ui.loading.hidden = true;
    ui.layout.hidden = false;
    layout();
    renderIntegrity();
    renderStatus();
    if (payload.status !== "in_progress") {
      finish(payload.status === "expired" ? "time_up" : "other", queue.discard());
      return;
    }
    if (!navigator.onLine) queue.setConnection("offline");
    queue.pump(); // unacknowledged answers from before a reload or a closed tab go first, in seq order
    sendEvents();
    setInterval(tick, 250);
    setInterval(resync, RESYNC_MS);
    tick();
  }

  async function load() {
    for (let tries = 0; ; tries++) {
      let response = null;
      try { response = await request("GET", API); } catch (e) { response = null; }
      if (response && response.status === 200 && response.body) return begin(response.body);
      if (response && response.status >= 400 && response.status < 500 && [408, 429].indexOf(response.status) < 0) {
        ui.loading.hidden = true;
        showAlert(errorText(response));
        return undefined;
      }
      ui.loading.textContent = M.load_failed;
      queue.setConnection("offline");
      await sleep(Math.min(30000, 1000 * Math.pow(2, tries)));
    }
  }

  ui.prev.addEventListener("click", () => go(state.index - 1, true));
  ui.next.addEventListener("click", () => go(state.index + 1, true));
  ui.submit.addEventListener("click", openSubmitDialog);
  ui.submitCancel.addEventListener("click", () => ui.dialog.close());
  ui.submitConfirm.addEventListener("click", confirmSubmit);
  if (WIDE.addEventListener) WIDE.addEventListener("change", layout);
  else if (WIDE.addListener) WIDE.addListener(layout);

  window.addEventListener("online", () => {
    queue.setConnection("online");
    queue.online();
    sendEvents();
    resync();
  });
  window.addEventListener("offline", () => queue.setConnection("offline"));
  window.addEventListener("pageshow", (event) => { if (event.persisted) resync(); });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      hiddenSince = Date.now();
      return;
    }
    // Counted when the cadre comes back, so closing or reloading the page is not a switch.
    if (hiddenSince !== null && COUNT_SWITCHES && !state.finishing) countEvent("tab_switches");
    hiddenSince = null;
    resync(); // a phone asleep may have paused the page's clock
  });
  document.addEventListener("paste", () => { if (COUNT_PASTES && !state.finishing) countEvent("pastes"); }, true);

  renderStatus();
  load();
})();
