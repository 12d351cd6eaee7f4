// The 出处 picker: an input with data-article-picker="<search URL>" gets a list of matching
// articles as the organizer types; choosing one writes its citation (《标题》第九条) into the input.
// Saving the form resolves that text to the article (question_bank.materials.services).
// Everything from the server is inserted as text (textContent), never as HTML.
"use strict";
(function () {
  function debounce(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  function attach(input) {
    const url = input.getAttribute("data-article-picker");
    const list = document.createElement("ul");
    list.className = "article-picker";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-autocomplete", "list");
    input.insertAdjacentElement("afterend", list);
    let last = "";

    function choose(article) {
      input.value = article.citation;
      list.hidden = true;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(articles) {
      list.replaceChildren();
      for (const article of articles) {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.tabIndex = 0;
        const head = document.createElement("strong");
        head.textContent = article.citation;
        const text = document.createElement("span");
        text.textContent = " " + article.text;
        item.append(head, text);
        item.addEventListener("click", () => choose(article));
        item.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); choose(article); } });
        list.append(item);
      }
      list.hidden = articles.length === 0;
    }

    const search = debounce(async () => {
      const q = input.value.trim();
      if (q.length < 2 || q === last) { if (!q) list.hidden = true; return; }
      last = q;
      try {
        const response = await fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const data = await response.json();
        if (input.value.trim() === q) show(data.articles || []);
      } catch (_error) {
        list.hidden = true;  // offline or signed out: the field still takes typed text
      }
    }, 250);

    input.addEventListener("input", search);
    input.addEventListener("keydown", (event) => { if (event.key === "Escape") list.hidden = true; });
  }

  document.querySelectorAll("input[data-article-picker]").forEach(attach);
})();
