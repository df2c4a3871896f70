// Starts the search box's script (search.js, 12 KB) and its stylesheet (search.css, for the
// results' kind bar and labels) when a reader first reaches for the box:
// a focus in it, the magnifier that opens it at phone width, or a key that opens it (/, s, f).
// A page read without searching never loads it. search.js picks up what was typed meanwhile.
(() => {
  "use strict";
  const script = document.currentScript;
  const toggle = document.getElementById("__search");
  const input = document.querySelector(".kb-search .md-search__input");
  if (!script || !toggle || !input) return;
  let started = false;

  function start() {
    if (started) return;
    started = true;
    input.removeEventListener("focus", start);
    toggle.removeEventListener("change", start);
    document.removeEventListener("keydown", onKey);
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("search.css", script.src).href;
    document.head.appendChild(style);
    const full = document.createElement("script");
    full.src = new URL("search.js", script.src).href;
    document.body.appendChild(full);
  }

  function onKey(event) {
    const target = event.target;
    const typing = target instanceof HTMLElement
      && (target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName));
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!["/", "s", "f"].includes(event.key)) return;
    event.preventDefault();
    toggle.checked = true;
    toggle.dispatchEvent(new Event("change"));
    input.focus();
  }

  input.addEventListener("focus", start);
  toggle.addEventListener("change", start);
  document.addEventListener("keydown", onKey);
})();
