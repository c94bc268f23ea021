// register.js: enhances the public register pages, which work fully without
// it (the search is an ordinary GET form answered on the server). When a
// search was refused, it moves focus to the error summary, as GOV.UK pages
// do, so that a screen reader announces it at once.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
