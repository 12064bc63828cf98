// Staff home: every data-interval seconds, fetch the page again (data-page: the same page,
// with da_xem = the last response the reader has seen) and put its live region (#live),
// its title and its new-ratings badge in place of the old ones — every figure of the region
// (count, note, indices, low ratings, counters, comments) comes from that one response, so
// they never disagree. The server renders it (escaped by Jinja, as on a reload); nothing is
// built from data here. No inline script (CSP script-src 'self'). Without JavaScript the
// "Tải lại" link reloads the page with the same da_xem, so the same badge.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !live.dataset.page || !window.fetch || !window.DOMParser) { return; }
  var seconds = Math.max(parseFloat(live.dataset.interval) || 30, 1);
  var busy = false;

  function ids(root) {
    var out = {};
    root.querySelectorAll("li[data-id]").forEach(function (li) { out[li.dataset.id] = true; });
    return out;
  }

  function typing() {
    // Do not swap the region under a reader who is choosing or typing in it.
    var active = document.activeElement;
    return active && live.contains(active) && /^(SELECT|INPUT|TEXTAREA|BUTTON)$/.test(active.tagName);
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("live");
    if (!fresh) { return; }
    var before = ids(live);
    fresh.querySelectorAll("li[data-id]").forEach(function (li) {
      if (!before[li.dataset.id]) { li.classList.add("new"); }
    });
    live.replaceChildren.apply(live, Array.prototype.slice.call(fresh.childNodes));
    document.title = doc.title;
    var badge = document.getElementById("new-badge");
    var freshBadge = doc.getElementById("new-badge");
    if (badge && freshBadge) { badge.replaceWith(freshBadge); }
  }

  function poll() {
    if (busy || typing()) { return; }
    busy = true;
    fetch(live.dataset.page, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (resp) { return resp.ok ? resp.text() : null; })
      .then(function (html) { if (html) { swap(html); } })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { busy = false; });
  }

  window.setInterval(poll, seconds * 1000);
})();
