// The record card's 打印 button (no inline script: the CSP allows scripts from 'self' only).
document.addEventListener("click", function (event) {
  var target = event.target.closest && event.target.closest("[data-print]");
  if (target) {
    window.print();
  }
});
