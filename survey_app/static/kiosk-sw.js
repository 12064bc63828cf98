/* sipas kiosk service worker: keeps the kiosk page and its two files so that the tablet
   can reload while the network is down. The page and files are fetched from the network
   first (an update is seen at once) and from this cache only when that fails. Ratings and
   heartbeats (/kiosk/api/) are never touched: the page queues them itself. */
"use strict";
var VERSION = new URL(self.location.href).searchParams.get("v") || "1";
var CACHE = "sipas-kiosk-" + VERSION;
var BASE = new URL("./", self.location.href).pathname; // /kiosk/
var FILES = [BASE, "/static/kiosk.js?v=" + VERSION, "/static/kiosk.css?v=" + VERSION];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(FILES); })
    .then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("sipas-kiosk-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var page = url.pathname === BASE;
  if (!page && FILES.indexOf(url.pathname + url.search) < 0) return;
  var key = page ? BASE : request;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (c) { c.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (hit) { return hit || Response.error(); });
  }));
});
