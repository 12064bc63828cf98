/* sipas counter tablet (issue 15). No framework; strict CSP: no inline script or style.
   The device credential, the last configuration and the queue of ratings not yet stored
   live in localStorage, so a reload or a restart keeps them. Each rating gets its
   idempotency key here; the queue is sent oldest first and the server stores each once. */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  var screen = document.getElementById("screen");
  var API = root.dataset.api;
  var VERSION = root.dataset.version;
  var WORDS = JSON.parse(document.getElementById("kiosk-texts").textContent);
  var K = { cred: "sipas.kiosk.credential", cfg: "sipas.kiosk.config", queue: "sipas.kiosk.queue" };
  var FACE_COLOURS = { 5: "#17693a", 4: "#4f7d14", 3: "#8a6100", 2: "#b34700", 1: "#b3261e" };
  var MOUTHS = { 5: "M30 62 Q50 82 70 62", 4: "M32 64 Q50 74 68 64", 3: "M32 66 L68 66",
    2: "M32 70 Q50 60 68 70", 1: "M30 74 Q50 56 70 74" };

  var cfg = load(K.cfg, null);
  var queue = load(K.queue, []);
  var lang = "vi";
  var revoked = false;
  var rating = null; // {key, answers, comment, code, step}
  var guardUntil = 0;
  var lastTouch = Date.now();
  var sending = false;
  var retryTimer = null;
  var backoff = 2000;
  var results = {}; // idempotency key -> dossier state from the server
  var thanksKey = null;
  var timers = [];

  function load(key, fallback) {
    try { var v = localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function w(name, vars) {
    var s = (WORDS[lang] && WORDS[lang][name]) || WORDS.vi[name] || name;
    Object.keys(vars || {}).forEach(function (k) { s = s.replace("%(" + k + ")s", vars[k]); });
    return s;
  }
  function t(pair) { return pair ? (pair[lang] || pair.vi) : ""; }
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") n.textContent = attrs[k];
      else if (k === "on") n.addEventListener("click", guarded(attrs[k]));
      else n.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) n.appendChild(c); });
    return n;
  }
  function guarded(fn) {
    return function (ev) {
      lastTouch = Date.now();
      if (Date.now() < guardUntil) { ev.preventDefault(); return; }
      fn(ev);
    };
  }
  function key() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  function cred() { return localStorage.getItem(K.cred); }

  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (cred()) headers.Authorization = "Bearer " + cred();
    return fetch(API + path + "?lang=" + lang, {
      method: method, headers: headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, json: j }; });
    });
  }

  /* ---- drawing ---------------------------------------------------------------------- */
  function show(nodes, guardMs) {
    timers.forEach(clearTimeout); timers = [];
    screen.textContent = "";
    nodes.forEach(function (n) { if (n) screen.appendChild(n); });
    guardUntil = Date.now() + (guardMs === undefined ? 400 : guardMs);
    document.documentElement.lang = lang;
    document.title = (cfg ? t(cfg.questionnaire.title) : w("faces")) + " · SIPAS";
    drawBar();
    var h = screen.querySelector("h1"); if (h) { h.tabIndex = -1; h.focus({ preventScroll: true }); }
  }
  function drawBar() {
    var where = document.getElementById("where");
    where.textContent = cfg ? cfg.unit.place + " · " + cfg.counter.name : "";
    var p = document.getElementById("pending");
    p.textContent = queue.length ? w("pending", { n: queue.length }) + (navigator.onLine ? "" : " · " + w("offline")) : "";
    p.hidden = !queue.length;
    var b = document.getElementById("lang");
    b.hidden = !cfg || revoked;
    b.textContent = lang === "vi" ? "English" : "Tiếng Việt";
    b.setAttribute("lang", lang === "vi" ? "en" : "vi");
  }
  function face(value) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 100 100"); svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var parts = [["circle", { cx: 50, cy: 50, r: 46, fill: FACE_COLOURS[value] }],
      ["circle", { cx: 35, cy: 40, r: 6, fill: "#fff" }], ["circle", { cx: 65, cy: 40, r: 6, fill: "#fff" }],
      ["path", { d: MOUTHS[value], fill: "none", stroke: "#fff", "stroke-width": 7, "stroke-linecap": "round" }]];
    parts.forEach(function (p) {
      var n = document.createElementNS(ns, p[0]);
      Object.keys(p[1]).forEach(function (k) { n.setAttribute(k, p[1][k]); });
      svg.appendChild(n);
    });
    return svg;
  }

  function drawEnrol(message) {
    var input = el("input", { id: "enrol-code", type: "text", autocomplete: "off", autocapitalize: "characters",
      spellcheck: "false", maxlength: "20", "aria-describedby": "enrol-hint" });
    var code = new URLSearchParams(location.search).get("ma");
    if (code) input.value = code;
    var form = el("form", { class: "enrol", novalidate: "" }, [
      el("label", { for: "enrol-code", text: w("enrol_label") }), input,
      el("button", { type: "submit", class: "big primary", text: w("enrol_button") })]);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); enrol(input.value); });
    var nodes = [el("h1", { text: revoked ? w("revoked") : w("enrol_title") }),
      el("p", { id: "enrol-hint", text: w("enrol_hint") }), form];
    if (message) nodes.push(el("p", { class: "error", role: "alert", text: message }));
    show(nodes, 0);
  }
  function enrol(code) {
    call("POST", "ket-noi", { code: code, app_version: VERSION }).then(function (r) {
      if (r.status !== 201) { drawEnrol(w("enrol_bad")); return; }
      localStorage.setItem(K.cred, r.json.credential);
      revoked = false;
      history.replaceState(null, "", location.pathname);
      start();
    }, function () { drawEnrol(w("offline")); });
  }
  function drawRevoked() {
    revoked = true;
    rating = null;
    drawEnrol();
  }

  function newRating() { return { key: key(), answers: {}, comment: "", code: "", step: 0, at: null }; }
  function items() { return cfg.questionnaire.items; }

  function drawQuestion() {
    var list = items();
    var item = list[rating.step];
    var opts = el("div", { class: item.faces ? "faces" : "choices", role: "group", "aria-labelledby": "q-text" });
    item.options.forEach(function (o) {
      var chosen = rating.answers[item.code] === o.value;
      var b = el("button", { type: "button", class: (item.faces ? "face f" + o.value : "choice big") + (chosen ? " chosen" : ""),
        "aria-pressed": chosen ? "true" : "false", "data-value": String(o.value), on: function () {
          rating.answers[item.code] = o.value; rating.at = rating.at || new Date().toISOString(); next();
        } }, item.faces ? [face(o.value), el("span", { text: t(o.label) })] : [el("span", { text: t(o.label) })]);
      opts.appendChild(b);
    });
    var nav = el("div", { class: "nav" }, [
      rating.step > 0 ? el("button", { type: "button", class: "big secondary", id: "back", text: w("back"), on: back }) : null,
      el("button", { type: "button", class: "big secondary", id: "skip", text: w("skip"), on: next }),
      el("button", { type: "button", class: "big code", id: "have-code", text: rating.code ? w("code_label") + ": " + rating.code : w("have_code"), on: drawKeypad })]);
    show([el("p", { class: "progress", text: w("question", { n: rating.step + 1, total: list.length }) + " · " + t(item.section) }),
      el("h1", { id: "q-text", text: t(item.text) }), opts, nav]);
  }
  function next() {
    rating.step += 1;
    if (rating.step >= items().length) drawComment(); else drawQuestion();
  }
  function back() {
    if (rating.step > 0) rating.step -= 1;
    drawQuestion();
  }
  function drawComment() {
    rating.step = items().length;
    var box = el("textarea", { id: "comment", rows: "4", maxlength: String(cfg.comment_max) });
    box.value = rating.comment;
    box.addEventListener("input", function () { rating.comment = box.value; lastTouch = Date.now(); });
    var none = !Object.keys(rating.answers).length; // the server needs one answer at least
    show([el("h1", { text: w("comment_title") }),
      el("label", { for: "comment", class: "sr-only", text: w("comment_label") }), box,
      none ? el("p", { class: "error", id: "need-answer", text: w("need_answer") }) : null,
      el("div", { class: "nav" }, [
        el("button", { type: "button", class: "big secondary", id: "back", text: w("back"), on: function () { rating.step = items().length - 1; drawQuestion(); } }),
        none ? null : el("button", { type: "button", class: "big primary", id: "send", text: w("send"), on: send })])]);
  }

  var KEYS = { digits: "123456789.0-", letters: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" };
  function drawKeypad(mode) {
    mode = mode === "letters" ? "letters" : "digits";
    var shown = el("output", { id: "code-shown", class: "code-shown", "aria-live": "polite" });
    shown.textContent = rating.code || "\u00a0";
    var pad = el("div", { class: "keypad " + mode, id: "keypad", role: "group", "aria-label": w("code_label") });
    KEYS[mode].split("").forEach(function (c) {
      pad.appendChild(el("button", { type: "button", class: "key", text: c, on: function () {
        if (rating.code.length < 60) rating.code += c; shown.textContent = rating.code; } }));
    });
    show([el("h1", { text: w("code_title") }), el("p", { text: w("code_hint") }), shown, pad,
      el("div", { class: "nav" }, [
        el("button", { type: "button", class: "big secondary", text: mode === "digits" ? "ABC" : "123", "aria-label": mode === "digits" ? "ABC" : "123",
          on: function () { drawKeypad(mode === "digits" ? "letters" : "digits"); } }),
        el("button", { type: "button", class: "big secondary", text: "\u232b", "aria-label": w("code_del"), on: function () {
          rating.code = rating.code.slice(0, -1); shown.textContent = rating.code || "\u00a0"; } }),
        el("button", { type: "button", class: "big secondary", id: "code-cancel", text: w("code_cancel"), on: function () { rating.code = ""; resume(); } }),
        el("button", { type: "button", class: "big primary", id: "code-ok", text: w("code_ok"), on: resume })])], 200);
  }
  function resume() { if (rating.step >= items().length) drawComment(); else drawQuestion(); }

  function send() {
    var body = { idempotency_key: rating.key, questionnaire: cfg.questionnaire.id, answers: rating.answers,
      comment: rating.comment || null, submitted_at: rating.at || new Date().toISOString(),
      dossier_code: rating.code || null };
    var k = rating.key;
    if (!queue.some(function (q) { return q.k === k; })) { queue.push({ k: k, body: body }); save(K.queue, queue); }
    rating = null;
    thanksKey = k;
    drawThanks();
    flush();
  }
  function drawThanks() {
    var note = el("p", { id: "thanks-note", class: "note", role: "status" });
    show([el("h1", { class: "thanks", text: w("thanks") }), note], cfg.interval * 1000);
    noteThanks();
    timers.push(setTimeout(startRating, Math.max(cfg.thanks, cfg.interval) * 1000));
  }
  function noteThanks() {
    var note = document.getElementById("thanks-note");
    if (!note || !thanksKey || !(thanksKey in results)) return;
    var state = results[thanksKey];
    note.textContent = state === "verified" ? w("thanks_code") : state === "not_used" ? w("code_not_used") : "";
  }

  /* ---- the queue -------------------------------------------------------------------- */
  function flush() {
    drawBar();
    if (sending || revoked || !queue.length || !cred()) return;
    sending = true;
    var item = queue[0];
    call("POST", "phieu", item.body).then(function (r) {
      sending = false;
      if (r.status === 200 || r.status === 201 || r.status === 400) {
        // 400: this rating can never be stored (the questionnaire changed beyond it): drop it.
        if (r.status === 400 && window.console) console.warn("kiosk: rating refused", r.json);
        results[item.k] = r.json.dossier;
        queue = queue.filter(function (q) { return q.k !== item.k; });
        save(K.queue, queue); backoff = 2000;
        noteThanks();
        flush();
      } else if (r.status === 401 || r.status === 403) {
        stop();
      } else { later(); }
    }, function () { sending = false; later(); });
  }
  function later() {
    drawBar();
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }
  function stop() { revoked = true; drawRevoked(); }
  function heartbeat() {
    if (!cred() || revoked) return;
    call("POST", "nhip", { queue_length: queue.length, app_version: VERSION }).then(function (r) {
      if (r.status === 401 || r.status === 403) stop();
    }, function () {});
  }

  /* ---- idle reset ------------------------------------------------------------------- */
  function started() { return rating && (rating.step > 0 || Object.keys(rating.answers).length || rating.code); }
  function tick() {
    var box = document.getElementById("idle");
    if (!cfg || revoked || !started()) { box.hidden = true; return; }
    var left = cfg.idle - Math.floor((Date.now() - lastTouch) / 1000);
    if (left <= 0) { box.hidden = true; startRating(); return; }
    if (left <= 15) {
      box.textContent = "";
      box.appendChild(el("p", { text: w("idle", { s: left }) }));
      box.appendChild(el("button", { type: "button", class: "big primary", id: "idle-keep", text: w("idle_keep"), on: function () { lastTouch = Date.now(); box.hidden = true; } }));
      box.hidden = false;
    } else { box.hidden = true; }
  }

  function startRating() {
    lang = "vi";
    thanksKey = null;
    rating = newRating();
    lastTouch = Date.now();
    drawQuestion();
  }
  function start() {
    if (!cred()) { if (new URLSearchParams(location.search).get("ma")) enrol(new URLSearchParams(location.search).get("ma")); else drawEnrol(); return; }
    call("GET", "cau-hinh").then(function (r) {
      if (r.status === 200) { cfg = r.json; save(K.cfg, cfg); revoked = false; }
      else if (r.status === 401 || r.status === 403) { stop(); return; }
      begin();
    }, begin);
  }
  function begin() {
    if (!cfg) { show([el("h1", { text: w("offline") })]); setTimeout(start, 5000); return; }
    startRating();
    heartbeat();
    flush();
  }

  document.getElementById("lang").addEventListener("click", function () {
    lang = lang === "vi" ? "en" : "vi"; lastTouch = Date.now();
    if (rating && rating.step >= items().length) drawComment(); else if (rating) drawQuestion();
  });
  document.addEventListener("pointerdown", function () { lastTouch = Date.now(); }, true);
  window.addEventListener("online", function () { backoff = 2000; clearTimeout(retryTimer); flush(); });
  window.addEventListener("offline", drawBar);
  window.addEventListener("storage", function () { queue = load(K.queue, []); drawBar(); });
  setInterval(heartbeat, 60000);
  setInterval(tick, 1000);
  setInterval(function () { if (queue.length && !sending) flush(); }, 15000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: API.replace(/api\/$/, "") }).catch(function () {});
  }
  start();
})();
