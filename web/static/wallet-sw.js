// wallet-sw.js: the web wallet's service worker, served at /wallet/sw.js
// with scope /wallet. It keeps the wallet's shell (the page, its script,
// the stylesheet and icons) in a cache so that the wallet opens with no
// network; the credentials themselves are in IndexedDB. Shell requests go
// to the network first, so a phone that is online always runs the current
// wallet, and fall back to the cache when the network fails. Nothing else
// (the issuance protocol, status lists) is touched: those need the
// network, and the wallet says so when it has none.
"use strict";

var CACHE = "linkpass-wallet-v1";
var SHELL = [
  "/wallet",
  "/static/site.css",
  "/static/common.js",
  "/static/wallet.js",
  "/static/wallet.webmanifest",
  "/static/icons/favicon.svg"
];

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (u) {
      return new Request(u, { cache: "no-cache" });
    }));
  }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k !== CACHE;
    }).map(function (k) {
      return caches.delete(k);
    }));
  }).then(function () {
    return self.clients.claim();
  }));
});

// shellKey is the cached copy a request stands for, or null: every
// navigation within the scope (an offer link has only a fragment more,
// which is never part of a request) is the wallet page.
function shellKey(req) {
  var url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) {
    return null;
  }
  if (req.mode === "navigate" && (url.pathname === "/wallet" || url.pathname.indexOf("/wallet/") === 0)) {
    return "/wallet";
  }
  return SHELL.indexOf(url.pathname) >= 0 ? url.pathname : null;
}

self.addEventListener("fetch", function (ev) {
  var key = shellKey(ev.request);
  if (!key) {
    return;
  }
  // The site serves the shell with no-cache and an ETag, so this
  // revalidates rather than downloads.
  ev.respondWith(fetch(ev.request).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      ev.waitUntil(caches.open(CACHE).then(function (cache) {
        return cache.put(key, copy);
      }));
      return res;
    }
    return caches.match(key).then(function (hit) {
      return hit || res;
    });
  }, function () {
    return caches.match(key).then(function (hit) {
      return hit || Response.error();
    });
  }));
});
