// common.js: helpers the register and checker pages share. Everything is
// built with DOM methods and textContent, never innerHTML, so nothing the
// server returns can become markup.
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";

  // Icons are stroked paths in a 24x24 box, drawn in the text colour.
  var ICONS = {
    check: ["M4 12.5l5 5L20 6.5"],
    cross: ["M6 6l12 12", "M18 6L6 18"],
    pause: ["M9 5v14", "M15 5v14"],
    clock: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M12 7v5l3 3"],
    dash: ["M5 12h14"],
    ban: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M5.6 5.6l12.8 12.8"],
    warning: ["M12 3 2 21h20L12 3z", "M12 10v5", "M12 18v.01"],
    person: ["M12 3a4 4 0 1 0 0 8a4 4 0 1 0 0-8z", "M4 21c0-4 3.6-7 8-7s8 3 8 7"]
  };

  // icon returns a decorative SVG icon: the word beside it carries the
  // meaning, so screen readers skip it.
  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "icon icon-" + name);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2.5");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("stroke-linejoin", "round");
    (ICONS[name] || []).forEach(function (d) {
      var p = document.createElementNS(SVG_NS, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }

  // el builds an element: attrs sets attributes ("class", "id", ...; "text"
  // sets textContent), children are nodes or strings.
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) {
        return;
      }
      if (k === "text") {
        e.textContent = v;
      } else {
        e.setAttribute(k, v === true ? "" : v);
      }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) {
        return;
      }
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  // clear removes every child of e.
  function clear(e) {
    while (e.firstChild) {
      e.removeChild(e.firstChild);
    }
  }

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];

  // formatDate turns "2026-03-12" into "12 March 2026"; anything else is
  // returned as it is.
  function formatDate(d) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d || "");
    if (!m) {
      return d || "";
    }
    return Number(m[3]) + " " + MONTHS[Number(m[2]) - 1] + " " + m[1];
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  // formatDateTime turns an RFC 3339 time into "12 March 2026, 14:05 UTC".
  function formatDateTime(iso) {
    var t = new Date(iso);
    if (!iso || isNaN(t.getTime())) {
      return iso || "";
    }
    return t.getUTCDate() + " " + MONTHS[t.getUTCMonth()] + " " + t.getUTCFullYear() +
      ", " + pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes()) + " UTC";
  }

  // between says how long before `later` the time `earlier` was, in words.
  function between(earlier, later) {
    var ms = new Date(later).getTime() - new Date(earlier).getTime();
    if (isNaN(ms)) {
      return "";
    }
    var min = Math.round(ms / 60000);
    function plural(n, unit) {
      return n + " " + unit + (n === 1 ? "" : "s");
    }
    if (min < 1) {
      return "less than a minute";
    }
    if (min < 60) {
      return plural(min, "minute");
    }
    var h = Math.floor(min / 60);
    if (h < 48) {
      return plural(h, "hour");
    }
    return plural(Math.floor(h / 24), "day");
  }

  var NATIONS = {
    "england": "England",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland"
  };

  function nation(n) {
    return NATIONS[n] || n || "";
  }

  // Register statuses: a word and an icon as well as a colour, so colour is
  // never the only sign.
  var STATUSES = {
    registered: { word: "Registered", icon: "check" },
    suspended: { word: "Suspended", icon: "pause" },
    lapsed: { word: "Lapsed (not renewed)", icon: "dash" },
    removed: { word: "Removed from the register", icon: "cross" }
  };

  // statusBadge shows a register status in words, colour and icon.
  function statusBadge(status, suspendedUntil) {
    var s = STATUSES[status] || { word: status, icon: "dash" };
    var word = s.word;
    if (status === "suspended" && suspendedUntil) {
      word += " until " + formatDate(suspendedUntil);
    }
    var known = STATUSES[status] ? status : "unknown";
    return el("span", { "class": "badge badge-" + known }, [icon(s.icon), el("span", { text: word })]);
  }

  // request fetches url and returns {ok, status, body}; body is the parsed
  // JSON, or null. A network failure is {ok: false, status: 0}.
  function request(url, init) {
    init = init || {};
    init.credentials = "same-origin";
    init.cache = "no-store";
    init.headers = init.headers || {};
    init.headers["Accept"] = "application/json";
    return fetch(url, init).then(function (res) {
      return res.json().then(function (body) {
        return { ok: res.ok, status: res.status, body: body };
      }, function () {
        return { ok: res.ok, status: res.status, body: null };
      });
    }, function () {
      return { ok: false, status: 0, body: null };
    });
  }

  function getJSON(url) {
    return request(url, { method: "GET" });
  }

  function postJSON(url, obj) {
    return request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(obj)
    });
  }

  // errorText is the message of an error response, for a person.
  function errorText(res, fallback) {
    if (res.status === 0) {
      return "The server could not be reached. Check the connection and try again.";
    }
    if (res.body && res.body.error && res.body.error.message) {
      var m = res.body.error.message;
      return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
    }
    return fallback;
  }

  // sentence capitalises s and ends it with a full stop.
  function sentence(s) {
    if (!s) {
      return "";
    }
    s = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.!?]$/.test(s) ? s : s + ".";
  }

  // fact adds a row to a description list.
  function fact(dl, term, value) {
    var dd = el("dd");
    (Array.isArray(value) ? value : [value]).forEach(function (v) {
      dd.appendChild(typeof v === "string" ? document.createTextNode(v) : v);
    });
    dl.appendChild(el("div", {}, [el("dt", { text: term }), dd]));
  }

  // safeLink returns url if it is an http(s) URL, for use as a link.
  function safeLink(url) {
    try {
      var u = new URL(url, window.location.href);
      if (u.protocol === "https:" || u.protocol === "http:") {
        return u.href;
      }
    } catch (e) {
      // not a URL
    }
    return null;
  }

  window.LP = {
    icon: icon,
    el: el,
    clear: clear,
    formatDate: formatDate,
    formatDateTime: formatDateTime,
    between: between,
    nation: nation,
    statusBadge: statusBadge,
    getJSON: getJSON,
    postJSON: postJSON,
    request: request,
    errorText: errorText,
    sentence: sentence,
    fact: fact,
    safeLink: safeLink
  };
})();
