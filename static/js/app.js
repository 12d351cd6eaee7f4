// Progressive enhancements shared by every page (no inline script: the CSP forbids it).
"use strict";
document.addEventListener("submit", (event) => {
  // A destructive form carries data-confirm: ask before it is sent.
  const form = event.target;
  const text = form.getAttribute && form.getAttribute("data-confirm");
  if (text && !window.confirm(text)) {
    event.preventDefault();
  }
});
document.addEventListener("keydown", (event) => {
  // Escape closes the open menu.
  if (event.key === "Escape") {
    document.querySelectorAll("details.menu[open]").forEach((d) => d.removeAttribute("open"));
  }
});
