// Staff home: every data-interval seconds, fetch what arrived after data-last and prepend it.
// No inline script (CSP script-src 'self'); text is set with textContent, never as HTML.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !live.dataset.url || !window.fetch) { return; }
  var last = live.dataset.last || "0";
  var seconds = Math.max(parseFloat(live.dataset.interval) || 30, 1);
  // Counts as the page writes them (services/formatting.py): thousands separators of its language.
  var count = new Intl.NumberFormat(document.documentElement.lang || "vi",
                                    {maximumFractionDigits: 0});

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function meta(entry) {
    return el("p", "meta", [entry.at, entry.unit_name, entry.counter_name]
      .filter(Boolean).join(" · "));
  }

  function prepend(listId, emptyId, entries, build) {
    var list = document.getElementById(listId);
    if (!list || !entries.length) { return; }
    var empty = document.getElementById(emptyId);
    if (empty) { empty.remove(); }
    for (var i = entries.length - 1; i >= 0; i--) {
      var li = build(entries[i]);
      li.className = "new";
      list.insertBefore(li, list.firstChild);
    }
  }

  function lowItem(r) {
    var li = el("li");
    li.appendChild(meta(r));
    var items = el("p", "items");
    r.items.forEach(function (pair) {
      items.appendChild(el("span", "item", pair[0] + ": " + pair[1]));
      items.appendChild(document.createTextNode(" "));
    });
    li.appendChild(items);
    if (r.comment) { li.appendChild(el("p", "text", r.comment)); }
    return li;
  }

  function commentItem(c) {
    var li = el("li");
    li.appendChild(meta(c));
    li.appendChild(el("p", "text", c.text));
    return li;
  }

  function poll() {
    var url = live.dataset.url + "&sau=" + encodeURIComponent(last);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        last = String(data.last_id);
        var total = document.getElementById("total");
        if (total) { total.textContent = count.format(data.total); }
        prepend("low-list", "low-empty", data.low, lowItem);
        prepend("comment-list", "comment-empty", data.comments, commentItem);
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  window.setInterval(poll, seconds * 1000);
})();
