// The labelling workbench page. Plain DOM, no framework, no build step.
// Safety rule: conversation text (and every other string from the server) reaches the page only as text nodes
// (el() / textContent). Nothing here assigns innerHTML, so markup inside a conversation is shown, never run.
"use strict";

(() => {
  const TOKEN = new URLSearchParams(location.search).get("token") || "";
  const FOLD_CHARS = 1500;
  const FOLD_LINES = 30;
  const PREVIEW_CHARS = 300;
  const SHORTCUTS = [
    ["Queue", [["j / k or ↓ / ↑", "move"], ["Enter", "open the item"], ["u", "open the next unlabelled item"],
               ["a", "agreement dashboard"]]],
    ["Item", [["y / x", "occupational: yes / no"], ["1 – 6", "collaboration pattern"],
              ["h / m / l", "confidence: high / medium / low"], ["/", "search tasks (↓ ↑ choose, Enter adds, Esc leaves)"],
              ["g / c", "filter by major group / occupation (arrows pick, Esc leaves)"],
              ["b", "browse GWA → IWA → task (Enter opens or adds, Backspace goes up, Esc closes)"],
              ["d", "remove the last task"], ["e", "write notes (Esc leaves)"], ["Enter", "commit the label"],
              ["z or Ctrl+Z", "undo the last change of this item"], ["n / p", "next / previous item"],
              ["u", "next unlabelled item"], ["f", "unfold / fold long turns"], ["q", "back to the queue"]]],
    ["Anywhere", [["?", "show or hide this help"]]],
  ];

  const state = {
    guide: null, groups: [], view: null, queue: null, queueSel: 0, item: null, draft: null, record: null,
    canUndo: false, tasks: {}, hits: [], hitSel: -1, browse: null, browseSel: 0, saving: Promise.resolve(),
    inflight: 0, timer: null, searchTimer: null, searchSeq: 0, unfolded: false,
  };

  // ------------------------------------------------------------------------------------------- DOM helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const $ = (id) => document.getElementById(id);

  function replace(node, ...children) {
    if (node) node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  }

  function setStatus(text, kind) {
    const node = $("status");
    node.textContent = text;
    node.className = kind || "";
  }

  function busy(delta) {
    state.inflight += delta;
    document.body.dataset.busy = String(state.inflight);
  }

  async function api(method, path, body) {
    const options = { method, headers: { "X-Label-Token": TOKEN } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    busy(1);
    try {
      const response = await fetch(path, options);
      let data = null;
      try { data = await response.json(); } catch (_) { data = null; }
      if (!response.ok && response.status !== 422) {
        throw new Error((data && data.error) || `the server answered ${response.status}`);
      }
      return { status: response.status, data };
    } finally {
      busy(-1);
    }
  }

  function fail(error) {
    setStatus(`Problem: ${error.message}`, "bad");
  }

  // ------------------------------------------------------------------------------------------- routing

  function route() {
    clearInterval(state.timer);
    state.timer = null;
    const hash = decodeURIComponent(location.hash.replace(/^#/, ""));
    if (hash.startsWith("/item/")) return showItem(hash.slice(6)).catch(fail);
    if (hash === "/dashboard") return showDashboard().catch(fail);
    return showQueue().catch(fail);
  }

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  const itemHash = (id) => `#/item/${encodeURIComponent(id)}`;

  function renderNav() {
    replace($("nav"), el("a", { href: "#/queue" }, "Queue"), " · ", el("a", { href: "#/dashboard" }, "Agreement"),
      " · ", el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); toggleHelp(); } }, "Shortcuts (?)"));
  }

  // ------------------------------------------------------------------------------------------- queue

  async function showQueue() {
    const { data } = await api("GET", "/api/queue");
    state.view = "queue";
    state.queue = data;
    state.queueSel = Math.min(state.queueSel, Math.max(0, data.items.length - 1));
    document.body.dataset.view = "queue";
    const others = Object.entries(data.progress).filter(([r]) => r !== data.rater)
      .map(([r, n]) => `${r}: ${n}`).join(" · ");
    const mode = [data.adjudicate ? "adjudication" : null, data.blind ? "blind" : "suggestions shown",
      data.suggest ? `suggestions from ${data.suggest}` : "no suggestions"].filter(Boolean).join(" · ");
    const rows = data.items.map((item, k) => el("tr", {
      class: `row status-${item.status}${k === state.queueSel ? " selected" : ""}`, "data-id": item.id,
      onclick: () => go(itemHash(item.id)),
    }, el("td", { class: "num" }, k + 1), el("td", {}, item.id), el("td", {}, item.split),
    el("td", { class: "num" }, item.turns),
    el("td", {}, item.status === "committed" ? "✓ committed" : item.status === "draft" ? "draft" : "—"),
    el("td", { class: "preview" }, item.preview, item.disagrees.length ? el("span", { class: "flag" },
      ` disagree: ${item.disagrees.join(", ")}`) : null)));
    replace($("view"), el("section", { id: "queue" },
      el("h1", {}, data.title || "Queue"),
      el("p", { class: "progress" }, el("strong", {}, `${data.rater}: ${data.done} / ${data.total} committed`),
        others ? ` · others: ${others}` : "", el("br"), el("span", { class: "muted" }, mode)),
      el("div", { class: "bar" }, el("div", { class: "fill", "data-share": data.total ?
        Math.round(100 * data.done / data.total) : 0 })),
      el("table", { class: "queue" }, el("thead", {}, el("tr", {}, ["#", "item", "split", "turns", "status",
        "first request"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
      el("p", { class: "muted" }, "j / k move · Enter opens · u opens the next unlabelled item · ? shortcuts")));
    const fill = document.querySelector(".bar .fill");
    if (fill) fill.style.width = `${fill.dataset.share}%`;
    setStatus("");
  }

  function moveQueue(step) {
    const rows = document.querySelectorAll("#queue tbody tr");
    if (!rows.length) return;
    rows[state.queueSel]?.classList.remove("selected");
    state.queueSel = Math.max(0, Math.min(rows.length - 1, state.queueSel + step));
    rows[state.queueSel].classList.add("selected");
    rows[state.queueSel].scrollIntoView({ block: "nearest" });
  }

  function queueKeys(ev) {
    const items = state.queue ? state.queue.items : [];
    if (ev.key === "j" || ev.key === "ArrowDown") moveQueue(1);
    else if (ev.key === "k" || ev.key === "ArrowUp") moveQueue(-1);
    else if (ev.key === "Enter" && items[state.queueSel]) go(itemHash(items[state.queueSel].id));
    else if (ev.key === "u") {
      const next = items.find((i) => i.status !== "committed");
      if (next) go(itemHash(next.id)); else setStatus("Every item is committed.", "good");
    } else if (ev.key === "a") go("#/dashboard");
    else return false;
    return true;
  }

  // ------------------------------------------------------------------------------------------- conversation

  function renderContent(text) {
    // Fenced code blocks are kept as code; everything else is plain text with its line breaks.
    const parts = [];
    const fence = /```([^\n`]*)\n?([\s\S]*?)(?:```|$)/g;
    let last = 0;
    let match;
    while ((match = fence.exec(text)) !== null) {
      if (match.index > last) parts.push(el("div", { class: "text" }, text.slice(last, match.index)));
      parts.push(el("pre", { class: "code" }, match[1].trim() ? el("span", { class: "lang" }, match[1].trim()) : null,
        el("code", {}, match[2])));
      last = fence.lastIndex;
      if (match[0].length === 0) break;
    }
    if (last < text.length) parts.push(el("div", { class: "text" }, text.slice(last)));
    return parts;
  }

  function renderMessage(message, k) {
    const text = message.content;
    const long = text.length > FOLD_CHARS || text.split("\n").length > FOLD_LINES;
    const body = el("div", { class: "body" }, renderContent(text));
    const inner = long
      ? el("details", { class: "fold", open: state.unfolded },
        el("summary", {}, el("span", { class: "muted" }, `Long turn, ${text.length.toLocaleString()} characters ` +
          "(f unfolds all): "), text.slice(0, PREVIEW_CHARS), "…"), body)
      : body;
    return el("article", { class: `msg role-${message.role}` },
      el("header", {}, `${k + 1}. ${message.role}`), inner);
  }

  // ------------------------------------------------------------------------------------------- item page

  const emptyDraft = () => ({ occupational: null, tasks: [], pattern: "", confidence: "", notes: "" });

  async function showItem(id) {
    const { data } = await api("GET", `/api/items/${encodeURIComponent(id)}`);
    state.view = "item";
    state.item = data;
    state.record = data.record;
    state.draft = Object.assign(emptyDraft(), data.record ? data.record.draft : {});
    state.canUndo = data.can_undo;
    Object.assign(state.tasks, data.task_info);
    state.hits = [];
    state.hitSel = -1;
    state.browse = null;
    document.body.dataset.view = "item";
    buildItemPage();
    renderLabel();
    renderSuggestions(data.suggestions);
    setStatus("");
  }

  function section(title, id, ...children) {
    return el("section", { class: "field", id }, el("h2", {}, title), ...children);
  }

  function buildItemPage() {
    const item = state.item;
    const groupOptions = [el("option", { value: "" }, "All major groups"),
      ...state.groups.map((g) => el("option", { value: g.code }, `${g.code} ${g.title}`))];
    const guide = state.guide;
    const patterns = guide.patterns.map((p) => el("li", { "data-pattern": p.pattern },
      el("kbd", {}, p.key), " ", el("strong", {}, p.pattern.replace("_", " ")), el("span", { class: "def" },
        ` — ${p.text}`)));
    replace($("view"), el("div", { id: "item", class: "item" },
      el("div", { class: "left" },
        el("p", { class: "crumbs" }, `Item ${item.position + 1} of ${item.total} · `, el("strong", {}, item.id),
          ` · ${item.split}`, el("span", { id: "itemstate" })),
        el("div", { id: "conversation" }, item.messages.map(renderMessage))),
      el("div", { class: "right", id: "panel" },
        item.others.length ? section("Labels to adjudicate", "others", renderOthers(item.others)) : null,
        section("Occupational? (y / x)", "occ", el("p", { class: "guide" }, guide.occupational),
          el("div", { class: "chips", id: "occchips" })),
        section("Tasks, best first (/ search · b browse · d removes the last)", "tasks",
          el("ol", { id: "chosen" }),
          el("div", { class: "search" },
            el("input", { id: "search", type: "search", placeholder: "/ search task statements, occupations, " +
              "activities, titles", autocomplete: "off", oninput: onSearchInput }),
            el("select", { id: "group", "aria-label": "major group", onchange: onGroupChange }, groupOptions),
            el("select", { id: "occupation", "aria-label": "occupation", onchange: () => runSearch() },
              el("option", { value: "" }, "All occupations"))),
          el("p", { class: "muted small", id: "searchinfo" }),
          el("ul", { id: "hits", class: "hits" }),
          el("div", { id: "browse", hidden: true })),
        section("Collaboration pattern (1 – 6)", "pattern", el("ol", { class: "patterns", id: "patterns" }, patterns)),
        section("Confidence (h / m / l)", "confidence", el("p", { class: "guide" }, guide.confidence),
          el("div", { class: "chips", id: "confchips" })),
        section("Notes (e)", "notesbox", el("p", { class: "guide" }, guide.notes),
          el("textarea", { id: "notes", rows: 3, onblur: saveNotes, oninput: onNotesInput })),
        el("div", { id: "errors", class: "errors" }),
        el("p", { class: "actions" }, el("strong", {}, "Enter"), " commits · ", el("strong", {}, "z"), " undoes · ",
          el("strong", {}, "n / p"), " next / previous · ", el("strong", {}, "u"), " next unlabelled · ",
          el("strong", {}, "?"), " help"),
        section("Model suggestion", "suggest", el("div", { id: "suggestbody" })))));
    $("notes").value = state.draft.notes || "";
  }

  function taskLine(taskId) {
    const hit = state.tasks[String(taskId)];
    if (!hit) return el("span", {}, `Task ${taskId}`);
    return el("span", {}, el("span", { class: "tid" }, `#${hit.task_id}`), " ", hit.statement,
      el("span", { class: "occ" }, ` — ${hit.occupation} (${hit.soc_code})`));
  }

  function chip(key, text, on) {
    return el("span", { class: `chip${on ? " on" : ""}` }, el("kbd", {}, key), " ", text);
  }

  function renderLabel() {
    const d = state.draft;
    replace($("occchips"), chip("y", "yes", d.occupational === true), chip("x", "no", d.occupational === false));
    replace($("chosen"), d.tasks.length ? d.tasks.map((t) => el("li", { "data-task": t }, taskLine(t)))
      : el("li", { class: "muted empty" }, d.occupational === false ? "none (not occupational)" : "no task yet"));
    $("tasks").classList.toggle("inactive", d.occupational === false);
    for (const li of document.querySelectorAll("#patterns li")) {
      li.classList.toggle("on", li.dataset.pattern === d.pattern);
    }
    replace($("confchips"), chip("h", "high", d.confidence === "high"), chip("m", "medium", d.confidence === "medium"),
      chip("l", "low", d.confidence === "low"));
    const committed = state.record && state.record.committed;
    const same = committed && JSON.stringify(labelFields(committed)) === JSON.stringify(labelFields(d));
    const label = committed ? (same ? "committed" : "edited since commit") : (state.record ? "draft" : "new");
    $("item").dataset.state = label;
    replace($("itemstate"), " · ", el("span", { class: `state state-${label.split(" ")[0]}` }, label));
  }

  function labelFields(d) {
    return { occupational: d.occupational, tasks: d.occupational ? d.tasks || [] : [], pattern: d.pattern || "",
      confidence: d.confidence || "", notes: (d.notes || "").trim() };
  }

  function renderOthers(others) {
    const row = (name, cell) => el("tr", {}, el("th", {}, name), others.map((o) => el("td", {}, cell(o))));
    return el("table", { class: "others" },
      el("thead", {}, el("tr", {}, el("th", {}, ""), others.map((o) => el("th", {}, o.rater)))),
      el("tbody", {},
        row("occupational", (o) => (o.occupational ? "yes" : "no")),
        row("tasks", (o) => (o.tasks.length ? el("ol", {}, o.tasks.map((t) => el("li", {}, taskLine(t)))) : "—")),
        row("pattern", (o) => o.pattern),
        row("confidence", (o) => o.confidence),
        row("notes", (o) => o.notes || "—")));
  }

  function renderSuggestions(s) {
    const box = $("suggestbody");
    if (!box) return;
    if (!s) { replace(box, el("p", { class: "muted" }, "No backend was given (--suggest).")); return; }
    if (s.hidden) {
      replace(box, el("p", { class: "muted", id: "suggesthidden" }, `Hidden until you commit (blind mode), so ` +
        `${s.backend} does not anchor your label.`));
      return;
    }
    replace(box, el("div", { id: "suggestshown" },
      el("p", {}, el("strong", {}, s.backend), ` · confidence ${s.confidence_word} (${s.confidence})`,
        s.valid ? "" : ` · invalid answer: ${s.invalid_reason || "unknown"}`),
      el("p", {}, `occupational: ${s.occupational === null ? "not screened" : s.occupational ? "yes" : "no"} · ` +
        `pattern: ${s.pattern || "—"}`),
      el("ol", {}, s.tasks.map((t) => el("li", {}, el("span", { class: "tid" }, `#${t.task_id}`), " ", t.statement,
        el("span", { class: "occ" }, ` — ${t.occupation}`))))));
  }

  // ------------------------------------------------------------------------------------------- changes

  function change(patch) {
    if (!state.item) return;
    Object.assign(state.draft, patch);
    renderLabel();
    replace($("errors"));
    const id = state.item.id;
    const body = Object.assign({}, state.draft);
    state.saving = state.saving.then(async () => {
      setStatus("saving…");
      const { status, data } = await api("PUT", `/api/items/${encodeURIComponent(id)}/draft`, body);
      if (status === 422) { showErrors(data.errors); return; }
      if (state.item && state.item.id === id) {
        state.record = data.record;
        state.canUndo = data.can_undo;
        renderLabel();
      }
      setStatus("saved", "good");
    }).catch(fail);
  }

  function addTask(hit) {
    state.tasks[String(hit.task_id)] = hit;
    const tasks = state.draft.tasks.filter((t) => t !== hit.task_id);
    if (tasks.length >= 3) { setStatus("At most three tasks: remove one first (d).", "bad"); return; }
    tasks.push(hit.task_id);
    const patch = { tasks };
    if (state.draft.occupational === null) patch.occupational = true;
    change(patch);
    setStatus(`added task #${hit.task_id}`, "good");
  }

  function onNotesInput() {
    clearTimeout(state.notesTimer);
    state.notesTimer = setTimeout(saveNotes, 600);
  }

  function saveNotes() {
    clearTimeout(state.notesTimer);
    const notes = $("notes");
    if (notes && state.draft && notes.value !== state.draft.notes) change({ notes: notes.value });
  }

  function showErrors(errors) {
    replace($("errors"), el("p", {}, el("strong", {}, "Not committed:")),
      el("ul", {}, errors.map((e) => el("li", {}, e.field ? `${e.field}: ` : "", e.message))));
    setStatus("The label needs fixing before it can be committed.", "bad");
  }

  async function commit() {
    saveNotes();
    await state.saving;
    const id = state.item.id;
    const { status, data } = await api("POST", `/api/items/${encodeURIComponent(id)}/commit`, {});
    if (status === 422) { showErrors(data.errors); return; }
    state.record = data.record;
    state.canUndo = data.can_undo;
    renderLabel();
    renderSuggestions(data.suggestions);
    replace($("errors"));
    setStatus("committed ✓ (n: next item)", "good");
  }

  async function undo() {
    saveNotes();
    await state.saving;
    if (!state.canUndo) { setStatus("Nothing to undo for this item.", "bad"); return; }
    const id = state.item.id;
    const { data } = await api("POST", `/api/items/${encodeURIComponent(id)}/undo`, {});
    state.record = data.record;
    state.canUndo = data.can_undo;
    Object.assign(state.tasks, data.task_info);
    state.draft = Object.assign(emptyDraft(), data.record ? data.record.draft : {});
    $("notes").value = state.draft.notes || "";
    renderLabel();
    renderSuggestions(data.suggestions);
    setStatus("undone", "good");
  }

  // ------------------------------------------------------------------------------------------- search

  function onSearchInput() {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(runSearch, 120);
  }

  async function onGroupChange() {
    const group = $("group").value;
    const select = $("occupation");
    const options = [el("option", { value: "" }, "All occupations")];
    if (group) {
      const { data } = await api("GET", `/api/occupations/${encodeURIComponent(group)}`);
      options.push(...data.occupations.map((o) => el("option", { value: o.soc_code }, `${o.title} (${o.soc_code})`)));
    }
    replace(select, options);
    runSearch();
  }

  async function runSearch() {
    const q = $("search").value;
    const params = new URLSearchParams({ q, limit: "15" });
    if ($("group").value) params.set("major_group", $("group").value);
    if ($("occupation").value) params.set("occupation", $("occupation").value);
    const seq = ++state.searchSeq;
    if (!q.trim() && !$("occupation").value) { state.hits = []; state.hitSel = -1; renderHits(null); return; }
    const { data } = await api("GET", `/api/search?${params}`);
    if (seq !== state.searchSeq) return; // a newer query is on its way
    state.hits = data.hits;
    state.hitSel = data.hits.length ? 0 : -1;
    for (const hit of data.hits) state.tasks[String(hit.task_id)] = hit;
    renderHits(data);
  }

  function renderHits(data) {
    replace($("searchinfo"), data ? `${data.hits.length} tasks · ${data.ms} ms` : "");
    replace($("hits"), state.hits.map((hit, k) => el("li", {
      class: k === state.hitSel ? "selected" : "", onclick: () => addTask(hit),
    }, taskLine(hit.task_id))));
  }

  function moveHit(step) {
    if (!state.hits.length) return;
    state.hitSel = Math.max(0, Math.min(state.hits.length - 1, state.hitSel + step));
    renderHits({ hits: state.hits, ms: "–" });
    document.querySelectorAll("#hits li")[state.hitSel]?.scrollIntoView({ block: "nearest" });
  }

  function searchKeys(ev) {
    if (ev.key === "ArrowDown") moveHit(1);
    else if (ev.key === "ArrowUp") moveHit(-1);
    else if (ev.key === "Enter") {
      clearTimeout(state.searchTimer);
      if (state.hits[state.hitSel]) addTask(state.hits[state.hitSel]);
    } else if (ev.key === "Escape") $("search").blur();
    else return false;
    return true;
  }

  // ------------------------------------------------------------------------------------------- browse

  async function openBrowse(params) {
    const query = new URLSearchParams(params || {});
    if ($("group").value) query.set("major_group", $("group").value);
    if ($("occupation").value) query.set("occupation", $("occupation").value);
    const { data } = await api("GET", `/api/browse?${query}`);
    state.browse = Object.assign(data, { params: params || {}, back: state.browse });
    state.browseSel = 0;
    if (data.level === "task") for (const hit of data.entries) state.tasks[String(hit.task_id)] = hit;
    renderBrowse();
  }

  function closeBrowse() {
    state.browse = null;
    const box = $("browse");
    box.hidden = true;
    replace(box);
  }

  function renderBrowse() {
    const b = state.browse;
    const box = $("browse");
    box.hidden = false;
    const entries = b.entries.map((e, k) => el("li", { class: k === state.browseSel ? "selected" : "" },
      b.level === "task" ? taskLine(e.task_id) : [e.title, el("span", { class: "muted" }, ` (${e.n_children})`)]));
    replace(box, el("p", { class: "crumbs" }, el("strong", {}, `Browse · ${b.level.toUpperCase()}`), " · ",
      b.title || "", el("span", { class: "muted" }, " — Enter opens / adds · Backspace up · Esc closes")),
    el("ul", { class: "hits", id: "browselist" }, entries.length ? entries : el("li", { class: "muted" },
      "nothing here (check the filters)")));
    document.querySelectorAll("#browselist li")[state.browseSel]?.scrollIntoView({ block: "nearest" });
  }

  function browseKeys(ev) {
    const b = state.browse;
    if (ev.key === "ArrowDown" || ev.key === "j") state.browseSel = Math.min(b.entries.length - 1, state.browseSel + 1);
    else if (ev.key === "ArrowUp" || ev.key === "k") state.browseSel = Math.max(0, state.browseSel - 1);
    else if (ev.key === "Enter" || ev.key === "ArrowRight") {
      const entry = b.entries[state.browseSel];
      if (!entry) return true;
      if (b.level === "gwa") openBrowse({ gwa: entry.id }).catch(fail);
      else if (b.level === "iwa") openBrowse({ iwa: entry.id }).catch(fail);
      else addTask(entry);
      return true;
    } else if (ev.key === "Backspace" || ev.key === "ArrowLeft") {
      if (b.back) { state.browse = b.back; state.browseSel = 0; }
    } else if (ev.key === "Escape" || ev.key === "b") { closeBrowse(); return true; }
    else return false;
    renderBrowse();
    return true;
  }

  // ------------------------------------------------------------------------------------------- item keys

  function itemKeys(ev) {
    const key = ev.key;
    const patterns = state.guide.patterns;
    const pattern = patterns.find((p) => p.key === key);
    if (state.browse && browseKeys(ev)) return true;
    if (key === "y") change({ occupational: true });
    else if (key === "x") change({ occupational: false });
    else if (pattern) change({ pattern: pattern.pattern });
    else if (key === "h") change({ confidence: "high" });
    else if (key === "m") change({ confidence: "medium" });
    else if (key === "l") change({ confidence: "low" });
    else if (key === "/") $("search").focus();
    else if (key === "g") $("group").focus();
    else if (key === "c") $("occupation").focus();
    else if (key === "b") openBrowse().catch(fail);
    else if (key === "d") change({ tasks: state.draft.tasks.slice(0, -1) });
    else if (key === "e") $("notes").focus();
    else if (key === "Enter") commit().catch(fail);
    else if (key === "z") undo().catch(fail);
    else if (key === "n" && state.item.next) go(itemHash(state.item.next));
    else if (key === "p" && state.item.previous) go(itemHash(state.item.previous));
    else if (key === "u") {
      if (state.item.next_unlabelled) go(itemHash(state.item.next_unlabelled));
      else setStatus("Every item is committed.", "good");
    } else if (key === "f") {
      state.unfolded = !state.unfolded;
      for (const d of document.querySelectorAll("details.fold")) d.open = state.unfolded;
    } else if (key === "q") go("#/queue");
    else if (key === "a") go("#/dashboard");
    else return false;
    return true;
  }

  // ------------------------------------------------------------------------------------------- dashboard

  const fmt = (v) => (v === null || v === undefined ? "—" : typeof v === "number" ? v.toFixed(2) : String(v));

  async function showDashboard() {
    const { data } = await api("GET", "/api/dashboard");
    state.view = "dashboard";
    document.body.dataset.view = "dashboard";
    const progress = Object.entries(data.progress).map(([r, n]) => el("tr", {}, el("td", {}, r),
      el("td", { class: "num" }, `${n} / ${data.n_items}`)));
    const facets = data.facets.map((f) => el("tr", {}, el("td", {}, f.facet.replace("_", " ")),
      el("td", { class: "num" }, f.n_items), el("td", { class: "num" }, fmt(f.percent_agreement)),
      el("td", { class: "num" }, fmt(f.cohen_kappa)), el("td", { class: "num" }, fmt(f.krippendorff_alpha))));
    const disagreements = data.disagreements_hidden
      ? el("p", { class: "muted" }, "The items raters disagree on are listed in adjudication mode " +
        "(harness label serve --adjudicate), so raters stay blind to each other.")
      : el("ul", {}, data.disagreements.map((d) => el("li", {}, el("a", { href: itemHash(d.item) }, d.item),
        ` — ${d.facets.join(", ")}`, data.adjudicated.includes(d.item) ? " · adjudicated" : "")));
    replace($("view"), el("section", { id: "dashboard" },
      el("h1", {}, "Agreement"),
      el("p", { class: "muted" }, `${data.n_multi} items labelled by two or more raters (adjudicated labels left ` +
        "out). Refreshes every 5 s."),
      el("h2", {}, "Progress (committed labels)"), el("table", {}, el("tbody", {}, progress)),
      el("h2", {}, "Per facet"), el("table", { id: "facets" }, el("thead", {}, el("tr", {},
        ["facet", "items", "agreement", "Cohen's κ (mean of pairs)", "Krippendorff's α"].map((h) => el("th", {}, h)))),
      el("tbody", {}, facets)),
      el("h2", {}, "Tasks"),
      el("p", {}, `Mean task overlap (Jaccard) ${fmt(data.task_overlap)} · same best task ` +
        `${fmt(data.best_task_agreement)} · over ${data.n_task_pairs} rater pairs who both said occupational`),
      el("h2", {}, "Disagreements"), disagreements));
    setStatus("");
    state.timer = setInterval(() => {
      if (state.view === "dashboard" && state.inflight === 0) showDashboard().catch(fail);
    }, 5000);
  }

  // ------------------------------------------------------------------------------------------- help + keys

  function toggleHelp(force) {
    const help = $("help");
    help.hidden = force === undefined ? !help.hidden : !force;
  }

  function buildHelp() {
    replace($("help"), el("h2", {}, "Keyboard shortcuts"), SHORTCUTS.map(([title, rows]) => [el("h3", {}, title),
      el("table", {}, el("tbody", {}, rows.map(([k, t]) => el("tr", {}, el("td", {}, el("kbd", {}, k)),
        el("td", {}, t)))))]), el("p", { class: "muted" }, "Esc or ? closes this help."));
  }

  function onKey(ev) {
    if (ev.isComposing) return;
    const target = ev.target;
    const tag = target && target.tagName;
    if (ev.ctrlKey && !ev.altKey && !ev.metaKey && ev.key === "z" && tag !== "TEXTAREA" && tag !== "INPUT") {
      if (state.view === "item") { ev.preventDefault(); undo().catch(fail); }
      return;
    }
    if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (target && target.id === "search") { if (searchKeys(ev)) ev.preventDefault(); return; }
    if (tag === "TEXTAREA" || tag === "INPUT") {
      if (ev.key === "Escape") { target.blur(); saveNotes(); ev.preventDefault(); }
      return;
    }
    if (tag === "SELECT") {
      if (ev.key === "Escape" || ev.key === "Enter") { target.blur(); ev.preventDefault(); }
      return;
    }
    if (ev.key === "?") { toggleHelp(); ev.preventDefault(); return; }
    if (ev.key === "Escape" && !$("help").hidden) { toggleHelp(false); ev.preventDefault(); return; }
    let handled = false;
    if (state.view === "queue") handled = queueKeys(ev);
    else if (state.view === "item") handled = itemKeys(ev);
    else if (state.view === "dashboard" && ev.key === "q") { go("#/queue"); handled = true; }
    if (handled) ev.preventDefault();
  }

  async function start() {
    if (!TOKEN) {
      replace($("view"), el("p", { class: "bad" }, "Open the address the server printed: it carries the token."));
      return;
    }
    const { data } = await api("GET", "/api/guide");
    state.guide = data.guide;
    state.groups = data.major_groups;
    renderNav();
    buildHelp();
    document.addEventListener("keydown", onKey);
    window.addEventListener("hashchange", route);
    await route();
  }

  start().catch(fail);
})();
