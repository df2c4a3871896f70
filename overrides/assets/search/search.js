// Handset Atlas search: Pagefind's index behind Material's search box (partials/search.html).
//
// Pagefind's script and index chunks are fetched only when the reader starts to search, from
// the site itself (pagefind/ beside the pages), by URLs relative to this page, so the site
// works under any base path. Results are drawn with Material's classes, so they look as the
// rest of the theme does in light and dark, at every width; text from the index goes in as
// text (Pagefind's excerpts are HTML-escaped by Pagefind, with <mark> around the matches).
(() => {
  "use strict";
  const root = document.querySelector(".kb-search");
  const toggle = document.getElementById("__search");
  if (!root || !toggle) return;
  const input = root.querySelector(".md-search__input");
  const form = root.querySelector(".md-search__form");
  const summary = root.querySelector(".md-search-result__meta");
  const kindBar = root.querySelector(".kb-search__kinds");
  const list = root.querySelector(".md-search-result__list");
  const bundle = new URL(root.dataset.kbSearchBundle, location.href);
  const base = new URL(root.dataset.kbSearchBase.replace(/\/?$/, "/"), location.href);
  const PAGE_SIZE = 10; // results whose details are fetched at a time
  const PLACEHOLDER = summary.textContent.trim();

  let pagefind = null; // the Pagefind module, once imported (a promise)
  let kind = null; // the kind chosen in the filter bar; null: every kind
  let kindsLoaded = false; // whether Pagefind's kind filter is loaded (on the reader's demand)
  let latest = 0; // the number of the latest search: answers to older ones are dropped

  function load() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind.js", bundle).href).then(async (module) => {
        // Result URLs are indexed from the site's root ("/people/lei-jun/"): put the path
        // the site is served under in front of them.
        await module.options({ baseUrl: base.pathname });
        // The kind filter is not loaded here: at 10,000 records it is 22 KB that would take
        // the first search over its 300 KB budget (make bench). It loads when the reader asks
        // for the kind bar (drawKinds), and each search after that counts its results by kind.
        return module;
      });
    }
    return pagefind;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plain(text) {
    return text.toLowerCase().replace(/\s+/g, " ").trim();
  }

  function counted(count, one, many) {
    return count === 1 ? `1 ${one}` : `${count} ${many}`;
  }

  // -- "did you mean": a misspelt word is matched against the names in the results for a
  // shorter prefix of it ("Xiaomy" -> prefix "Xiaom" -> "Xiaomi"). Pagefind has no typo
  // tolerance of its own; it matches every word as a prefix.
  function distance(a, b) {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const above = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
        diagonal = above;
      }
    }
    return row[b.length];
  }

  function closest(word, details) {
    let best = null;
    for (const detail of details) {
      const names = `${detail.meta.title || ""} ${detail.meta.names || ""}`;
      for (const name of names.split(/[\s,.;:()·]+/)) {
        const score = distance(word, name.toLowerCase());
        if (name && score <= 2 && (!best || score < best.score)) best = { name, score };
      }
    }
    return best && best.name;
  }

  // The closest name to `word` among the records found by the query's other words (`found`:
  // Pagefind leaves out a word that matches nothing), then among those found by shorter and
  // shorter prefixes of the word.
  async function correctedWord(module, word, found) {
    const lower = word.toLowerCase();
    const near = closest(lower, found);
    if (near) return near;
    const shortest = Math.max(3, lower.length - 3);
    for (let length = lower.length - 1; length >= shortest; length--) {
      const search = await module.search(lower.slice(0, length));
      if (!search || !search.results.length) continue;
      const details = await Promise.all(search.results.slice(0, 8).map((r) => r.data()));
      const better = closest(lower, details);
      if (better) return better;
    }
    return null;
  }

  async function suggestion(module, query, found) {
    const words = query.split(/\s+/).filter(Boolean);
    let changed = false;
    for (let i = 0; i < words.length; i++) {
      if (words[i].length < 3) continue;
      const alone = await module.search(words[i]);
      if (alone && alone.results.length) continue;
      const better = await correctedWord(module, words[i], found);
      if (better) {
        words[i] = better;
        changed = true;
      }
    }
    return changed ? words.join(" ") : null;
  }

  // -- drawing -----------------------------------------------------------------------------

  function item(detail) {
    const li = element("li", "md-search-result__item");
    const link = element("a", "md-search-result__link");
    link.href = detail.url;
    link.tabIndex = -1;
    const article = element("article", "md-search-result__article md-typeset");
    article.append(element("div", "md-search-result__icon md-icon"));
    article.append(element("h1", null, detail.meta.title || detail.url));
    if (detail.meta.kind) {
      const kinds = element("nav", "md-tags kb-search__kind");
      kinds.append(element("span", "md-tag", detail.meta.kind));
      article.append(kinds);
    }
    const excerpt = element("p");
    excerpt.innerHTML = detail.excerpt; // escaped by Pagefind, but for its <mark> elements
    article.append(excerpt);
    link.append(article);
    li.append(link);
    return li;
  }

  function drawKinds(search, query) {
    kindBar.replaceChildren();
    if (!kindsLoaded) {
      // One button until the reader wants the kinds: the counts need the kind filter.
      kindBar.hidden = search.results.length < 2;
      const button = element("button", "md-tag kb-search__choice kb-search__by-kind", "Filter by kind");
      button.type = "button";
      button.setAttribute("aria-expanded", "false");
      button.addEventListener("click", async () => {
        const module = await load();
        await module.filters();
        kindsLoaded = true;
        await run(query);
        const first = kindBar.querySelector(".kb-search__choice");
        if (first) first.focus();
      });
      kindBar.append(button);
      return;
    }
    const totals = (search.totalFilters && search.totalFilters.kind) || {};
    const kinds = Object.keys(totals).filter((name) => totals[name] > 0).sort();
    kindBar.hidden = kinds.length < 2 && kind === null;
    if (kindBar.hidden) return;
    const choices = [[null, "All", search.unfilteredResultCount], ...kinds.map((k) => [k, k, totals[k]])];
    for (const [value, label, count] of choices) {
      const button = element("button", "md-tag kb-search__choice", `${label} ${count}`);
      button.type = "button";
      button.setAttribute("aria-pressed", String(kind === value));
      button.addEventListener("click", () => {
        kind = value;
        run(query);
        input.focus();
      });
      kindBar.append(button);
    }
  }

  function drawMore(results, shown, number) {
    if (results.length <= shown) return;
    const li = element("li", "md-search-result__item kb-search__more");
    const button = element("button", "md-search-result__link", `Show ${Math.min(PAGE_SIZE, results.length - shown)} more`);
    button.type = "button";
    button.addEventListener("click", async () => {
      const details = await Promise.all(results.slice(shown, shown + PAGE_SIZE).map((r) => r.data()));
      if (number !== latest) return;
      li.remove();
      list.append(...details.map(item));
      drawMore(results, shown + PAGE_SIZE, number);
    });
    li.append(button);
    list.append(li);
  }

  async function run(query) {
    const number = ++latest;
    const words = query.trim();
    delete root.dataset.kbSearchShown;
    if (!words) {
      summary.textContent = PLACEHOLDER;
      kindBar.hidden = true;
      list.replaceChildren();
      return;
    }
    let module;
    try {
      module = await load();
    } catch (error) {
      summary.textContent = location.protocol === "file:"
        ? "Search works on the served site (make serve), not on pages opened from disk."
        : "No search index here: `kb build` writes it into the site (`kb serve` does not).";
      throw error;
    }
    const filters = kind ? { filters: { kind } } : {};
    let search = await module.search(words, filters);
    if (number !== latest || !search) return;
    let details = await Promise.all(search.results.slice(0, PAGE_SIZE).map((r) => r.data()));
    // A word that matches nothing is likely misspelt: looked for in a query that found
    // nothing, or in a short one (a name), where one unmatched word is most of the query.
    let corrected = null;
    if (!search.unfilteredResultCount || words.split(/\s+/).length <= 3) {
      corrected = await suggestion(module, words, details);
      if (corrected) {
        search = await module.search(corrected, filters);
        if (number !== latest || !search) return;
        details = await Promise.all(search.results.slice(0, PAGE_SIZE).map((r) => r.data()));
      }
    }
    if (number !== latest) return;
    const results = search.results;
    // A record named as the query (or within a letter or two of it) comes first: Pagefind
    // ranks by how often and where the words occur, and a short page that mentions "AT&T"
    // twice outranks AT&T's own page.
    const asked = plain(corrected || words);
    const nameMatch = (detail) => {
      const names = (detail.meta.names || "").split(" · ").map(plain);
      if (names.includes(asked)) return 2;
      return asked.length >= 5 && names.some((name) => distance(asked, name) <= 2) ? 1 : 0;
    };
    details.sort((a, b) => nameMatch(b) - nameMatch(a));
    summary.replaceChildren();
    if (corrected) {
      summary.append("Did you mean ");
      const again = element("a", "kb-search__suggestion", corrected);
      again.href = "#";
      again.addEventListener("click", (event) => {
        event.preventDefault();
        input.value = corrected;
        run(corrected);
        input.focus();
      });
      summary.append(again, "? ");
    }
    summary.append(results.length
      ? counted(results.length, "matching record", "matching records")
      : "No matching records");
    drawKinds(search, query);
    list.replaceChildren(...details.map(item));
    drawMore(results, PAGE_SIZE, number);
    root.dataset.kbSearchShown = query; // the query whose results are on screen
  }

  // -- the box: open, type, move, close, as Material's own search does ---------------------

  function open() {
    if (!toggle.checked) {
      toggle.checked = true;
      toggle.dispatchEvent(new Event("change"));
    }
  }

  function close() {
    if (toggle.checked) {
      toggle.checked = false;
      toggle.dispatchEvent(new Event("change"));
    }
    input.blur();
  }

  toggle.addEventListener("change", () => {
    if (toggle.checked) {
      load();
      setTimeout(() => input.focus(), 0); // after the dialog shows (phone widths)
    }
  });
  input.addEventListener("focus", () => {
    open();
    load();
  });
  input.addEventListener("input", () => {
    kind = null;
    run(input.value).catch((error) => console.warn("search:", error));
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const first = list.querySelector(".md-search-result__link[href]");
    if (first) location.href = first.href;
  });
  form.addEventListener("reset", () => {
    kind = null;
    setTimeout(() => run(""), 0);
    input.focus();
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLElement
      && (target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName));
    if (!toggle.checked) {
      if (!typing && !event.ctrlKey && !event.metaKey && !event.altKey
          && ["/", "s", "f"].includes(event.key)) {
        event.preventDefault();
        open();
        input.focus();
      }
      return;
    }
    const links = [...list.querySelectorAll(".md-search-result__link")];
    const at = links.indexOf(document.activeElement);
    if (event.key === "Escape") {
      close();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!links.length) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : at + step;
      if (next < 0 || next >= links.length) input.focus();
      else links[next].focus();
    }
  });
})();
