// The organizer's live page: refresh the figures every few seconds until the contest closes.
// Loaded with <script src defer> (the CSP forbids inline script). It fetches the same page and
// swaps in its [data-live-region]; the search and extend forms lie outside it, so nothing the
// organizer is typing is replaced. Without JavaScript the 刷新 button does the same.
"use strict";
(function () {
  const region = document.querySelector("[data-live-region][data-refresh-seconds]");
  if (!region) return;
  const seconds = Math.max(5, parseInt(region.getAttribute("data-refresh-seconds"), 10) || 15);
  const stamp = document.querySelector("[data-live-updated]");
  const note = document.querySelector("[data-live-auto]");
  if (note) note.hidden = false;
  let busy = false;

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(window.location.href, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("[data-live-region]");
      if (fresh) {
        region.replaceChildren(...Array.from(fresh.childNodes, (node) => document.importNode(node, true)));
        if (!fresh.hasAttribute("data-refresh-seconds")) window.clearInterval(timer); // the contest ended
      }
      const freshStamp = page.querySelector("[data-live-updated]");
      if (stamp && freshStamp) stamp.textContent = freshStamp.textContent;
    } catch (error) {
      // Offline or the server is busy: keep the figures shown and try again next time.
    } finally {
      busy = false;
    }
  }

  const timer = window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
})();
