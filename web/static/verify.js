// verify.js: the front-desk checker. Three ways in: the camera (frames
// decoded with jsQR), a photo or screenshot (decoded with jsQR here, or on
// the server when that fails), or pasted text. Each ends in POST /v1/verify
// (or /v1/verify/image) and a verdict shown at a glance.
(function () {
  "use strict";
  var LP = window.LP;
  var el = LP.el;

  var MAX_UPLOAD = 10 * 1024 * 1024;
  var SCAN_EVERY_MS = 120;

  var result = document.getElementById("result");
  var announcer = document.getElementById("announce");

  // Outcomes as a person reads them: word, icon and colour (a class).
  // Anything not listed is NOT VALID.
  var OUTCOMES = {
    valid: { word: "VALID", icon: "check", cls: "valid" },
    suspended: { word: "SUSPENDED", icon: "pause", cls: "suspended" },
    revoked: { word: "REVOKED", icon: "ban", cls: "revoked" },
    expired: { word: "EXPIRED", icon: "clock", cls: "expired" },
    // Genuine, but nobody checked whether it was suspended: not valid.
    "status-not-checked": { word: "STATUS NOT CHECKED", icon: "warning", cls: "invalid" }
  };
  var NOT_VALID = { word: "NOT VALID", icon: "cross", cls: "invalid" };

  var HOW_READ = {
    camera: "scanned with the camera",
    "upload-browser": "read from the uploaded image in this browser",
    "upload-server": "read from the uploaded image on the server",
    paste: "pasted or typed",
    link: "opened from the link in the QR code"
  };

  var ACCREDITATION = {
    "nalw-accredited": "NALW-accredited",
    "nalw-aligned": "aligned with NALW standards",
    "other": "other"
  };

  var STATUS_WORDS = {
    valid: "Valid",
    suspended: "Suspended",
    revoked: "Revoked",
    unknown: "Unknown"
  };

  function outcomeOf(v) {
    if (v.outcome === "valid" && !v.valid) {
      return NOT_VALID;
    }
    return OUTCOMES[v.outcome] || NOT_VALID;
  }

  function qualificationItem(q) {
    var bits = [];
    if (q.level) {
      bits.push("level " + q.level);
    }
    if (q.provider) {
      bits.push(q.provider);
    }
    if (q.accreditation) {
      bits.push(ACCREDITATION[q.accreditation] || q.accreditation);
    }
    if (q.yearAwarded) {
      bits.push(String(q.yearAwarded));
    }
    return el("li", {}, [el("span", { "class": "qual-title", text: q.title }), bits.length ? " (" + bits.join(", ") + ")" : ""]);
  }

  // statusInfo says what the register's status list said and how fresh it
  // was when the check was made.
  function statusInfo(v) {
    var out = [];
    if (v.status === "not-checked") {
      out.push("Not checked: whether this credential is suspended or revoked is not known, so do not rely on it. Check the public register.");
      return out;
    }
    var s = STATUS_WORDS[v.status] || v.status;
    if (v.status_list_issued_at) {
      s += ", from the register's status list of " + LP.formatDateTime(v.status_list_issued_at) +
        " (" + LP.between(v.status_list_issued_at, v.checked_at) + " before this check)";
    }
    out.push(s + ".");
    if (v.status_stale) {
      out.push(el("span", { "class": "stale" }, [LP.icon("warning"),
        el("strong", { text: "Out of date:" }),
        " this status information is older than the register allows. Sync again, or check the public register."]));
    }
    if (v.status_note) {
      out.push(el("span", { "class": "note", text: LP.sentence(v.status_note) }));
    }
    return out;
  }

  function restrictionsValue(c) {
    var link = LP.safeLink(c.public_register);
    if (!c.restrictions) {
      return "None";
    }
    var out = [el("strong", { text: "Yes: conditions on practice apply." }), " "];
    if (link) {
      out.push("Read them on the ");
      out.push(el("a", { href: link, text: "public register entry" }));
      out.push(".");
    } else {
      out.push("Read them on the public register.");
    }
    return el("span", { "class": "restricted" }, out);
  }

  // showVerdict puts the verdict on the page, announces it and moves focus
  // to its heading.
  function showVerdict(v, via) {
    var o = outcomeOf(v);
    LP.clear(result);
    result.className = "result result-" + o.cls;
    result.setAttribute("data-outcome", v.outcome || "");
    result.setAttribute("data-read-by", via);

    var heading = el("h2", { id: "verdict-heading", "class": "verdict-heading", tabindex: "-1" },
      [LP.icon(o.icon), el("span", { "class": "verdict-word", text: o.word })]);
    var banner = el("div", { "class": "verdict verdict-" + o.cls }, [
      heading,
      el("p", { "class": "verdict-reason", text: LP.sentence(v.reason) })
    ]);
    var c = v.credential;
    if (c && c.restrictions) {
      // Conditions on practice belong at a glance, not only in the details.
      banner.appendChild(el("p", { "class": "verdict-conditions", id: "verdict-conditions" }, [LP.icon("warning"),
        el("span", { text: "Conditions on practice apply. Read them on the public register before relying on this." })]));
    }
    result.appendChild(banner);
    if (o !== OUTCOMES.valid) {
      result.appendChild(el("p", { "class": "verdict-advice" }, [
        el("strong", { text: "Do not rely on this credential." }),
        " Check the public register or contact NALW."
      ]));
    }

    if (c) {
      result.appendChild(el("div", { "class": "photo-id" }, [
        LP.icon("person"),
        el("p", {}, [el("strong", { text: "Check photo ID matches this name:" }), " ",
          el("span", { "class": "photo-id-name", text: c.name })])
      ]));

      var dl = el("dl", { "class": "facts" });
      LP.fact(dl, "Name", c.name);
      LP.fact(dl, "Registration number", el("span", { "class": "regno", text: c.registration_number }));
      LP.fact(dl, "Role", c.role);
      LP.fact(dl, "Restrictions", restrictionsValue(c));
      var quals = c.qualifications || [];
      if (quals.length === 0) {
        LP.fact(dl, "Qualifications", "None recorded");
      } else {
        var ql = el("ul", { "class": "plain" });
        quals.forEach(function (q) {
          ql.appendChild(qualificationItem(q));
        });
        LP.fact(dl, "Qualifications", ql);
      }
      var qm = c.quality_mark;
      LP.fact(dl, "PSA Quality Mark", !qm ? "Not shown on this credential." :
        v.quality_mark_now === "withdrawn" ? "No longer held: " + LP.sentence(v.quality_mark_note) :
        "Yes: the " + qm.register + " is accredited (" + qm.scheme + ") until " + LP.formatDate(qm.validUntil) + ".");
      LP.fact(dl, "Status information", statusInfo(v));
      LP.fact(dl, "Nation", LP.nation(c.nation));
      LP.fact(dl, "Registered until", LP.formatDate(c.registered_until));
      LP.fact(dl, "Credential expires", LP.formatDateTime(c.expires_at));
      LP.fact(dl, "Issued by", v.issuer || "");
      result.appendChild(dl);
      var link = LP.safeLink(c.public_register);
      if (link) {
        result.appendChild(el("p", {}, [el("a", { href: link, text: "View " + c.name + "'s public register entry" })]));
      }
    }

    result.appendChild(el("p", { "class": "checked-at", text: "Checked " + LP.formatDateTime(v.checked_at) +
      "; the credential was " + (HOW_READ[via] || via) + ". A check is only valid on the day it is made." }));
    var again = el("button", { type: "button", "class": "button", id: "scan-again", text: "Scan another with the camera" });
    again.addEventListener("click", startCamera);
    result.appendChild(el("div", { "class": "actions" }, [again]));
    result.hidden = false;

    var summary = "Result: " + o.word + ". " + LP.sentence(v.reason);
    if (c && c.restrictions) {
      summary += " Conditions on practice apply.";
    }
    if (c) {
      summary += " Check photo ID matches this name: " + c.name + ".";
    }
    announce(summary);
    heading.focus();
  }

  // announce says text through the assertive live region; clearing it
  // first makes a repeated message heard again.
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  var checking = 0;

  // check posts the text of a credential and shows the verdict; status is
  // where progress and errors are shown.
  function check(text, status, via) {
    var mine = ++checking;
    status.textContent = "Checking…";
    return LP.postJSON("/v1/verify", { credential: text }).then(function (res) {
      finish(mine, res, status, via);
    });
  }

  function finish(mine, res, status, via) {
    if (mine !== checking) {
      return;
    }
    if (!res.ok || !res.body) {
      status.textContent = LP.errorText(res, "The check failed. Try again.");
      announce(status.textContent);
      return;
    }
    status.textContent = "Checked: the result is shown above.";
    showVerdict(res.body, via);
  }

  // Camera.
  var camBox = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  var camStatus = document.getElementById("camera-status");
  var startBtn = document.getElementById("camera-start");
  var stopBtn = document.getElementById("camera-stop");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var cam = { stream: null, timer: 0, frames: 0, starting: false };

  function cameraError(err) {
    switch (err && err.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "The camera was not allowed. Allow it in the browser's settings, or upload a photo or paste the text instead.";
      case "NotFoundError":
      case "OverconstrainedError":
        return "No camera was found. Upload a photo or paste the text instead.";
      case "NotReadableError":
        return "The camera is in use by another program. Close it and try again.";
    }
    return "The camera could not be started. Upload a photo or paste the text instead.";
  }

  function startCamera() {
    if (cam.stream || cam.starting) {
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      camStatus.textContent = window.isSecureContext ?
        "This browser cannot use a camera. Upload a photo or paste the text instead." :
        "The camera needs a secure (https) address. Upload a photo or paste the text instead.";
      startBtn.focus();
      return;
    }
    cam.starting = true;
    camStatus.textContent = "Starting the camera…";
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }
    }).then(function (stream) {
      cam.stream = stream;
      video.srcObject = stream;
      camBox.hidden = false;
      stopBtn.hidden = false;
      startBtn.hidden = true;
      stopBtn.focus();
      return video.play();
    }).then(function () {
      cam.starting = false;
      camStatus.textContent = "Camera on. Hold the QR code in view.";
      cam.frames = 0;
      cam.timer = window.setTimeout(scanFrame, 0);
    }).catch(function (err) {
      cam.starting = false;
      stopCamera(cameraError(err));
      startBtn.focus();
    });
  }

  // stopCamera releases the camera and says why.
  function stopCamera(message) {
    window.clearTimeout(cam.timer);
    cam.timer = 0;
    var hadFocus = document.activeElement === stopBtn;
    if (cam.stream) {
      cam.stream.getTracks().forEach(function (t) {
        t.stop();
      });
      cam.stream = null;
    }
    video.srcObject = null;
    camBox.hidden = true;
    stopBtn.hidden = true;
    startBtn.hidden = false;
    startBtn.textContent = "Start camera";
    if (typeof message === "string") {
      camStatus.textContent = message;
    }
    if (hadFocus) {
      startBtn.focus();
    }
  }

  function scanFrame() {
    cam.timer = 0;
    if (!cam.stream) {
      return;
    }
    if (video.readyState >= 2 && video.videoWidth > 0) {
      var scale = Math.min(1, 1280 / Math.max(video.videoWidth, video.videoHeight));
      var w = Math.round(video.videoWidth * scale);
      var h = Math.round(video.videoHeight * scale);
      canvas.width = w;
      canvas.height = h;
      ctx.drawImage(video, 0, 0, w, h);
      var img = ctx.getImageData(0, 0, w, h);
      // Most codes are dark on light; try light on dark every third frame.
      cam.frames++;
      var code = window.jsQR(img.data, w, h, { inversionAttempts: cam.frames % 3 === 0 ? "onlyInvert" : "dontInvert" });
      if (code && code.data) {
        stopCamera("QR code read. Checking…");
        check(code.data, camStatus, "camera");
        return;
      }
    }
    cam.timer = window.setTimeout(scanFrame, SCAN_EVERY_MS);
  }

  startBtn.addEventListener("click", startCamera);
  stopBtn.addEventListener("click", function () {
    stopCamera("Camera off.");
  });
  // Never keep the camera on behind the user's back.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && cam.stream) {
      stopCamera("Camera off: the page was hidden.");
    }
  });
  window.addEventListener("pagehide", function () {
    stopCamera();
  });

  // Upload.
  var fileInput = document.getElementById("upload-file");
  var upStatus = document.getElementById("upload-status");

  // decodeInBrowser resolves to the QR text in file, or null.
  function decodeInBrowser(file) {
    if (!window.createImageBitmap) {
      return Promise.resolve(null);
    }
    return window.createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
      var w = Math.max(1, Math.round(bmp.width * scale));
      var h = Math.max(1, Math.round(bmp.height * scale));
      canvas.width = w;
      canvas.height = h;
      ctx.drawImage(bmp, 0, 0, w, h);
      if (bmp.close) {
        bmp.close();
      }
      var code = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "attemptBoth" });
      return code && code.data ? code.data : null;
    }).catch(function () {
      return null;
    });
  }

  // checkImageOnServer sends the image to the server, whose reader copes
  // with photos jsQR cannot read.
  function checkImageOnServer(file) {
    var mine = ++checking;
    upStatus.textContent = "Reading the image on the server…";
    return LP.request("/v1/verify/image", {
      method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream" },
      body: file
    }).then(function (res) {
      finish(mine, res, upStatus, "upload-server");
    });
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    if (!file) {
      return;
    }
    if (file.size > MAX_UPLOAD) {
      upStatus.textContent = "This image is over 10 MB. Send a smaller photo or a screenshot.";
      return;
    }
    upStatus.textContent = "Reading the image…";
    decodeInBrowser(file).then(function (text) {
      return text ? check(text, upStatus, "upload-browser") : checkImageOnServer(file);
    }).then(function () {
      fileInput.value = ""; // choosing the same file again checks it again
    });
  });

  // Paste.
  var form = document.getElementById("paste-form");
  var input = document.getElementById("credential-text");
  var pasteStatus = document.getElementById("paste-status");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (input.value.trim() === "") {
      pasteStatus.textContent = "Paste or type the credential text first.";
      input.focus();
      return;
    }
    check(input.value, pasteStatus, "paste");
  });

  // A phone camera opened the link in the QR code: the credential is in the
  // fragment, which the browser never sends to any server. Check it, and
  // take it out of the address bar and the history. A second link opened
  // in the same tab changes only the fragment, hence hashchange.
  function checkFragment() {
    if (window.location.hash.length <= 1) {
      return;
    }
    var fragment = window.location.hash.slice(1);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    var fromLink = null;
    try {
      fromLink = decodeURIComponent(fragment);
    } catch (e) {
      fromLink = null;
    }
    // The marker qrtext puts before the credential (qrtext.FragmentMarker).
    if (fromLink !== null && fromLink.indexOf("CHECK/") === 0) {
      fromLink = fromLink.slice(6);
    }
    if (fromLink === null) {
      pasteStatus.textContent = "The link is damaged: scan the QR code again.";
      announce(pasteStatus.textContent);
      return;
    }
    check(fromLink, pasteStatus, "link");
  }
  window.addEventListener("hashchange", checkFragment);
  checkFragment();
})();
