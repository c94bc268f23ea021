// register.js: the public register search (/register) and a register entry
// (/register/{regno}). Both show exactly what GET /v1/register returns.
(function () {
  "use strict";
  var LP = window.LP;
  var el = LP.el;

  // qualityMark says whether the register holds the PSA Quality Mark.
  function qualityMark(register, qm) {
    var p = el("p", { "class": "quality-mark" });
    if (qm && qm.held) {
      p.classList.add("quality-mark-held");
      p.appendChild(LP.icon("check"));
      var words = "The " + register + " holds the Professional Standards Authority's Quality Mark for accredited registers";
      if (qm.until) {
        words += ", until " + LP.formatDate(qm.until);
      }
      if (qm.reference) {
        words += " (reference " + qm.reference + ")";
      }
      p.appendChild(el("span", { text: words + "." }));
    } else {
      p.appendChild(LP.icon("dash"));
      p.appendChild(el("span", { text: "The " + register + " does not hold the Professional Standards Authority's Quality Mark at present." }));
    }
    return p;
  }

  // entryCard shows one entry. level is its heading level; link makes the
  // name a link to the entry's own page.
  function entryCard(e, level, link) {
    var id = "entry-" + e.registration_number;
    var heading = el("h" + level, { "class": "entry-name", id: id + "-name" },
      [link ? el("a", { href: "/register/" + encodeURIComponent(e.registration_number), text: e.name }) : e.name]);
    var card = el("article", { "class": "entry entry-" + e.status, "aria-labelledby": id + "-name", "data-regno": e.registration_number }, [heading]);
    var statusLine = el("p", { "class": "entry-status" }, [LP.statusBadge(e.status, e.suspended_until)]);
    if (e.status_since) {
      statusLine.appendChild(el("span", { "class": "since", text: "since " + LP.formatDate(e.status_since) }));
    }
    card.appendChild(statusLine);

    var restrictions = e.restrictions || [];
    if (restrictions.length > 0) {
      var box = el("div", { "class": "restrictions" }, [
        el("p", { "class": "restrictions-heading" }, [LP.icon("warning"), el("strong", { text: restrictions.length === 1 ? "Restriction on practice" : "Restrictions on practice" })])
      ]);
      var ul = el("ul");
      restrictions.forEach(function (r) {
        ul.appendChild(el("li", { text: r }));
      });
      box.appendChild(ul);
      card.appendChild(box);
    }

    var dl = el("dl", { "class": "facts" });
    LP.fact(dl, "Registration number", el("span", { "class": "regno", text: e.registration_number }));
    LP.fact(dl, "Restrictions", restrictions.length > 0 ? "Yes, shown above" : "None");
    LP.fact(dl, "Nation", LP.nation(e.nation));
    LP.fact(dl, "Registered until", LP.formatDate(e.registered_until));
    var quals = e.qualifications || [];
    if (quals.length === 0) {
      LP.fact(dl, "Qualifications", "None recorded");
    } else {
      var ql = el("ul", { "class": "plain" });
      quals.forEach(function (q) {
        ql.appendChild(el("li", { text: q }));
      });
      LP.fact(dl, "Qualifications", ql);
    }
    card.appendChild(dl);
    return card;
  }

  function checkedAt(iso) {
    return el("p", { "class": "checked-at", text: "Checked " + LP.formatDateTime(iso) + ". A check is only valid on the day it is made." });
  }

  // Search page.
  function initSearch(form) {
    var input = document.getElementById("q");
    var status = document.getElementById("search-status");
    var results = document.getElementById("results");
    var current = 0;

    function search(q, push) {
      q = q.trim();
      if (push) {
        var url = "/register?q=" + encodeURIComponent(q);
        window.history.pushState({ q: q }, "", url);
      }
      var mine = ++current;
      status.textContent = "Searching…";
      results.setAttribute("aria-busy", "true");
      LP.getJSON("/v1/register?q=" + encodeURIComponent(q)).then(function (res) {
        if (mine !== current) {
          return; // a newer search is under way
        }
        results.removeAttribute("aria-busy");
        LP.clear(results);
        if (!res.ok || !res.body) {
          status.textContent = LP.errorText(res, "The search failed. Try again.");
          return;
        }
        var b = res.body;
        var n = b.results.length;
        var said = n === 0 ? "No entries found for “" + q + "”. Check the spelling, or search by registration number." :
          (n === 1 ? "1 entry found" : n + " entries found") + " for “" + q + "”.";
        if (b.truncated) {
          said += " Only the first " + n + " are shown: add more of the name to narrow the search.";
        }
        status.textContent = said;
        results.appendChild(qualityMark(b.register, b.quality_mark));
        if (n > 0) {
          var list = el("ol", { "class": "entries", "aria-label": "Search results" });
          b.results.forEach(function (e) {
            list.appendChild(el("li", {}, [entryCard(e, 2, true)]));
          });
          results.appendChild(list);
        }
        results.appendChild(checkedAt(b.checked_at));
      });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!input.checkValidity()) {
        status.textContent = "Enter a name or registration number of at least 2 characters.";
        input.focus();
        return;
      }
      search(input.value, true);
    });
    window.addEventListener("popstate", function () {
      var q = new URLSearchParams(window.location.search).get("q") || "";
      input.value = q;
      if (q.trim().length >= 2) {
        search(q, false);
      } else {
        LP.clear(results);
        status.textContent = "";
      }
    });
    var initial = new URLSearchParams(window.location.search).get("q");
    if (initial && initial.trim().length >= 2) {
      input.value = initial;
      search(initial, false);
    }
  }

  // Entry page.
  function initEntry(box) {
    var status = document.getElementById("entry-status");
    var regno = box.getAttribute("data-regno");
    LP.getJSON("/v1/register/" + encodeURIComponent(regno)).then(function (res) {
      if (!res.ok || !res.body) {
        status.textContent = res.status === 404 ? regno + " is not on the register." : LP.errorText(res, "The entry could not be loaded. Try again.");
        return;
      }
      var b = res.body;
      status.textContent = "";
      box.appendChild(entryCard(b.entry, 2, false));
      box.appendChild(qualityMark(b.register, b.quality_mark));
      box.appendChild(checkedAt(b.checked_at));
    });
  }

  var form = document.getElementById("search-form");
  if (form) {
    initSearch(form);
  }
  var entry = document.getElementById("entry");
  if (entry) {
    initEntry(entry);
  }
})();
