// The attempt page's answer queue (window.AttemptQueue), used by attempt.js.
//
// Every answer is written to the browser's storage first (localStorage, key
// "quiz.attempt.<id>.answers"), then sent to PUT /api/v1/attempts/<id>/responses/<qid>, one
// request at a time in seq order, and retried with backoff until the server acknowledges it.
// The stored state is {"seq": last seq used, "pending": {qid: {"answer", "seq"}}}: only the
// latest unacknowledged answer per question. An acknowledgement removes an entry only if its
// seq is still the one that was sent (a newer answer given meanwhile stays and goes next).
//
// seq: per attempt, strictly increasing, max(Date.now(), last seq + 1, highest seq the server
// reported + 1). The server keeps an answer only if its seq >= the stored one, so an old answer
// arriving late never overwrites a newer one, and a new device (or a cleared browser) that
// starts from the server's seqs continues above them. Date.now() (about 1.7e12) stays far
// below the server's limit of 2^53.
//
// Every operation re-reads the stored state, so two tabs of one attempt share one queue.
"use strict";
(function (global) {
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const STOPPING_CODES = ["deadline_passed", "attempt_finished"];

  function memoryStorage() {
    const data = {};
    return {
      getItem: (k) => (Object.prototype.hasOwnProperty.call(data, k) ? data[k] : null),
      setItem: (k, v) => { data[k] = String(v); },
      removeItem: (k) => { delete data[k]; },
    };
  }

  function browserStorage() {
    try {
      const storage = global.localStorage;
      storage.setItem("quiz.probe", "1");
      storage.removeItem("quiz.probe");
      return storage;
    } catch (e) {
      return memoryStorage(); // private mode or storage disabled: the queue still works in memory
    }
  }

  class AttemptQueue {
    /**
     * options.attemptId; options.send(questionId, {answer, seq}) -> Promise<{status, body}>,
     * rejecting when the network fails; options.refreshToken() -> Promise (after a CSRF
     * failure); callbacks onChange(), onAck(qid, entry, body), onRejected(qid, entry, message),
     * onStopped(code, message).
     */
    constructor(options) {
      this.attemptId = options.attemptId;
      this.send = options.send;
      this.refreshToken = options.refreshToken || null;
      this.storage = options.storage || browserStorage();
      this.onChange = options.onChange || (() => {});
      this.onAck = options.onAck || (() => {});
      this.onRejected = options.onRejected || (() => {});
      this.onStopped = options.onStopped || (() => {});
      this.key = "quiz.attempt." + this.attemptId + ".answers";
      this.connection = "online"; // online | offline | error | signed_out
      this.failures = 0;
      this.timer = null;
      this.running = false;
      this.stopped = null; // {code, message} once the server refuses every further save
      this.cutoff = Infinity; // performance.now() after which nothing is sent (deadline + grace)
    }

    // --- storage ------------------------------------------------------------------------------
    read() {
      try {
        const raw = this.storage.getItem(this.key);
        const state = raw ? JSON.parse(raw) : null;
        if (state && typeof state.seq === "number" && state.pending && typeof state.pending === "object") return state;
      } catch (e) { /* unreadable: start afresh */ }
      return { seq: 0, pending: {} };
    }

    write(state) {
      try {
        this.storage.setItem(this.key, JSON.stringify(state));
      } catch (e) {
        // Storage full or gone: carry on in memory so this page loses nothing.
        this.storage = memoryStorage();
        this.storage.setItem(this.key, JSON.stringify(state));
      }
    }

    nextSeq(state) {
      state.seq = Math.max(Date.now(), state.seq + 1);
      return state.seq;
    }

    /** The server reported this seq (a resume): later answers must go above it. */
    noteServerSeq(seq) {
      if (typeof seq !== "number") return;
      const state = this.read();
      if (seq > state.seq) {
        state.seq = seq;
        this.write(state);
      }
    }

    /** The answer waiting to be sent for a question, or undefined. */
    pendingFor(questionId) {
      return this.read().pending[questionId];
    }

    entries() {
      return Object.entries(this.read().pending).sort((a, b) => a[1].seq - b[1].seq);
    }

    size() {
      return Object.keys(this.read().pending).length;
    }

    /** Queue an answer (it replaces any unsent one for the question) and send it after delayMs. */
    put(questionId, answer, delayMs) {
      const state = this.read();
      state.pending[questionId] = { answer: answer, seq: this.nextSeq(state) };
      this.write(state);
      this.onChange();
      this.schedule(delayMs || 0);
    }

    /** Forget the question's entry if its seq is at most ``seq`` (acknowledged or superseded). */
    drop(questionId, seq) {
      const state = this.read();
      const entry = state.pending[questionId];
      if (entry && (seq === undefined || entry.seq <= seq)) {
        delete state.pending[questionId];
        this.write(state);
      }
    }

    /** Give up every unsent answer (the attempt is over); returns how many there were. */
    discard() {
      const state = this.read();
      const n = Object.keys(state.pending).length;
      state.pending = {};
      this.write(state);
      this.onChange();
      return n;
    }

    // --- sending ------------------------------------------------------------------------------
    setConnection(connection) {
      if (this.connection !== connection) {
        this.connection = connection;
        this.onChange();
      }
    }

    schedule(delayMs) {
      if (this.stopped) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.pump(), Math.max(0, delayMs));
    }

    backoff() {
      this.failures += 1;
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, this.failures - 1));
      return base * (0.75 + Math.random() * 0.5); // jitter: a township's phones do not retry in step
    }

    /** The network is back: retry at once. */
    online() {
      this.failures = 0;
      this.schedule(0);
    }

    /** No more sends: the server refused (``quiet`` false: tell the page) or the page is done. */
    stop(code, message, quiet) {
      if (this.stopped) return;
      this.stopped = { code: code, message: message };
      clearTimeout(this.timer);
      this.onChange();
      if (!quiet) this.onStopped(code, message);
    }

    /** Send the queued answers, oldest seq first, one at a time, until none is left or a send fails. */
    async pump() {
      if (this.running || this.stopped) return;
      this.running = true;
      clearTimeout(this.timer);
      let retryIn = null;
      let refreshed = false;
      try {
        for (;;) {
          const next = this.entries()[0];
          if (!next || this.stopped || global.performance.now() > this.cutoff) break;
          const questionId = next[0];
          const entry = next[1];
          let response;
          try {
            response = await this.send(questionId, { answer: entry.answer, seq: entry.seq });
          } catch (e) {
            this.setConnection("offline");
            retryIn = this.backoff();
            break;
          }
          const error = response.body && response.body.error ? response.body.error : {};
          if (response.status >= 200 && response.status < 300) {
            this.failures = 0;
            this.drop(questionId, entry.seq);
            this.setConnection("online");
            this.onAck(questionId, entry, response.body || {});
            continue;
          }
          if (STOPPING_CODES.indexOf(error.code) >= 0) {
            this.stop(error.code, error.message || "");
            break;
          }
          if (error.code === "csrf_failed" && this.refreshToken && !refreshed) {
            refreshed = true;
            try { await this.refreshToken(); } catch (e) { /* retried below */ }
            continue;
          }
          if (response.status === 401) {
            this.setConnection("signed_out");
            retryIn = this.backoff();
            break;
          }
          if (response.status >= 500 || response.status === 408 || response.status === 429 || response.status === 0 ||
              error.code === "csrf_failed" || !response.body) {
            this.setConnection("error");
            retryIn = this.backoff();
            break;
          }
          // Refused for good (an answer of the wrong shape, a question not in this paper): drop it and say so.
          this.drop(questionId, entry.seq);
          this.onRejected(questionId, entry, error.message || String(response.status));
        }
      } finally {
        this.running = false;
        this.onChange();
      }
      if (retryIn !== null) this.schedule(retryIn);
    }

    /** Resolve true once nothing is queued, or false at ``untilMs`` (performance.now()). */
    flush(untilMs) {
      this.failures = 0;
      this.pump(); // at once; after a failure the backoff timer retries (1 s, 2 s, 4 s ...)
      return new Promise((resolve) => {
        const check = () => {
          if (!this.size()) return resolve(true);
          if (this.stopped || global.performance.now() >= untilMs) return resolve(false);
          setTimeout(check, 150);
        };
        check();
      });
    }
  }

  global.AttemptQueue = AttemptQueue;
})(window);
