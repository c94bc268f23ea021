// wallet.js: the register's web wallet. It runs OpenID4VCI 1.0 (the
// pre-authorised code flow with a transaction code) in the page, keeps the
// holder key and the credentials in IndexedDB, and shows each credential
// with its status as of the last check and its QR code, online or not.
// docs/wallet.md says how a link worker uses it; docs/web.md how it works.
(function () {
  "use strict";
  var LP = window.LP;
  var el = LP.el;

  var CONFIG_SDJWT = "link-worker-registration-sd-jwt";
  var CONFIG_VCJWT = "link-worker-registration-vc-jwt";
  var PROOF_TYP = "openid4vci-proof+jwt";
  var PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
  var TRIES_LEFT = "tx_code_tries_left";
  // How often status is checked while the wallet is open and online.
  var CHECK_EVERY_MS = 10 * 60 * 1000;
  // How soon a check that could not reach the register is tried again.
  var RETRY_UNREACHABLE_MS = 30 * 1000;
  // How long after a refused refresh the wallet asks again.
  var REFRESH_RETRY_MS = 6 * 60 * 60 * 1000;

  var announcer = document.getElementById("announce");
  var walletStatus = document.getElementById("wallet-status");
  var list = document.getElementById("list");
  var empty = document.getElementById("empty");

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  // --- IndexedDB: "keys" holds the holder key, "credentials" the
  // credentials, one record each, by id.

  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = window.indexedDB.open("linkpass-wallet", 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("keys", { keyPath: "id" });
          req.result.createObjectStore("credentials", { keyPath: "id" });
        };
        req.onsuccess = function () {
          resolve(req.result);
        };
        req.onerror = function () {
          reject(req.error);
        };
      });
    }
    return dbPromise;
  }

  // store runs fn on the named stores in one transaction and resolves with
  // what fn's last request returned, once the transaction has committed.
  function store(names, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(names, mode);
        var stores = [].concat(names).map(function (n) {
          return t.objectStore(n);
        });
        var req = fn.apply(null, stores);
        t.oncomplete = function () {
          resolve(req ? req.result : undefined);
        };
        t.onerror = t.onabort = function () {
          reject(t.error);
        };
      });
    });
  }

  function allCredentials() {
    return store("credentials", "readonly", function (s) {
      return s.getAll();
    });
  }

  function putCredential(rec) {
    return store("credentials", "readwrite", function (s) {
      return s.put(rec);
    });
  }

  // updateCredential stores rec only if it is still there: a check that
  // ends after the link worker removed the credential must not bring it
  // back.
  function updateCredential(rec) {
    return store("credentials", "readwrite", function (s) {
      var req = s.get(rec.id);
      req.onsuccess = function () {
        if (req.result) {
          s.put(rec);
        }
      };
      return req;
    });
  }

  // --- Encoding.

  function b64u(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return window.btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function unb64u(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = window.atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  function utf8(s) {
    return new TextEncoder().encode(s);
  }

  // jwtPart returns the decoded JSON of part i (0 header, 1 payload) of a
  // compact JWS.
  function jwtPart(jws, i) {
    return JSON.parse(new TextDecoder().decode(unb64u(jws.split(".")[i])));
  }

  // --- The holder key: ECDSA P-256, made once, never extractable. The
  // browser keeps the private key object in IndexedDB; no script, this one
  // included, can read its bytes.

  function holderKey() {
    return store("keys", "readonly", function (s) {
      return s.get("holder");
    }).then(function (k) {
      if (k) {
        return k;
      }
      return window.crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]).then(function (pair) {
        return window.crypto.subtle.exportKey("jwk", pair.publicKey).then(function (jwk) {
          var rec = { id: "holder", privateKey: pair.privateKey, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } };
          return store("keys", "readwrite", function (s) {
            return s.put(rec);
          }).then(function () {
            return rec;
          });
        });
      });
    });
  }

  // proofJWT is an OpenID4VCI key proof: the holder's public key in the
  // header, the issuer as aud, and the issuer's fresh nonce.
  function proofJWT(key, aud, nonce) {
    var header = { typ: PROOF_TYP, alg: "ES256", jwk: key.jwk };
    var payload = { aud: aud, iat: Math.floor(Date.now() / 1000), nonce: nonce };
    var input = b64u(utf8(JSON.stringify(header))) + "." + b64u(utf8(JSON.stringify(payload)));
    return window.crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, utf8(input)).then(function (sig) {
      // WebCrypto's ECDSA signature is r || s, as JWS wants it.
      return input + "." + b64u(new Uint8Array(sig));
    });
  }

  // --- The protocol.

  // Failure is an error to show a link worker: what happened and what to
  // do. dead says the offer can no longer be used.
  function Failure(message, opts) {
    this.message = message;
    this.dead = !!(opts && opts.dead);
    this.retry = !!(opts && opts.retry);
    this.field = !!(opts && opts.field);
  }

  var NO_NETWORK = "This phone is not connected to the internet. Connect (mobile data or Wi-Fi) and try again.";
  var ASK_REGISTRAR = " Ask your registrar to send you a new link.";

  function describe(res) {
    return res.body && res.body.error_description ? LP.sentence(res.body.error_description) : "";
  }

  function sameOrigin(u) {
    try {
      return new URL(u, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function need(res, what) {
    if (res.status === 0) {
      throw new Failure(NO_NETWORK, { retry: true });
    }
    if (!res.ok || !res.body) {
      throw new Failure("The register could not " + what + ". " + describe(res) + " Try again in a few minutes; if it keeps happening, tell your registrar.", { retry: true });
    }
    return res.body;
  }

  // endpoints fetches the issuer's and its authorisation server's metadata.
  function endpoints(issuer) {
    return Promise.all([
      LP.getJSON(issuer + "/.well-known/openid-credential-issuer"),
      LP.getJSON(issuer + "/.well-known/oauth-authorization-server")
    ]).then(function (r) {
      var md = need(r[0], "describe itself");
      var as = need(r[1], "describe itself");
      var ep = {
        issuer: md.credential_issuer,
        credential: md.credential_endpoint,
        nonce: md.nonce_endpoint,
        notification: md.notification_endpoint,
        token: as.token_endpoint
      };
      if (ep.issuer !== issuer || [ep.credential, ep.nonce, ep.token].some(function (u) {
        return !u || !sameOrigin(u);
      })) {
        throw new Failure("This link is not from this register's wallet." + ASK_REGISTRAR, { dead: true });
      }
      return ep;
    });
  }

  function tokenRequest(ep, form) {
    return LP.request(ep.token, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString()
    });
  }

  // credentialOf asks for one credential configuration with a fresh nonce
  // and proof, under access.
  function credentialOf(ep, access, key, config, retried) {
    return LP.request(ep.nonce, { method: "POST" }).then(function (res) {
      var nonce = need(res, "start issuing your credential").c_nonce;
      return proofJWT(key, ep.issuer, nonce);
    }).then(function (proof) {
      return LP.request(ep.credential, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + access },
        body: JSON.stringify({ credential_configuration_id: config, proofs: { jwt: [proof] } })
      });
    }).then(function (res) {
      if (res.status === 0) {
        throw new Failure(NO_NETWORK, { retry: true });
      }
      if (!res.ok && !retried && res.body && res.body.error === "invalid_nonce") {
        // The register forgot the nonce (it restarted, or it expired):
        // one more try with a fresh one, as OpenID4VCI provides.
        return credentialOf(ep, access, key, config, true);
      }
      if (!res.ok) {
        var denied = res.body && res.body.error === "credential_request_denied";
        throw new Failure("The register did not issue your credential. " + describe(res) + (denied ? " Contact your registrar." : " Try again; if it keeps happening, tell your registrar."), { dead: denied });
      }
      var c = res.body && res.body.credentials && res.body.credentials[0] && res.body.credentials[0].credential;
      if (typeof c !== "string") {
        throw new Failure("The register's answer had no credential in it. Try again; if it keeps happening, tell your registrar.", { retry: true });
      }
      return { credential: c, notificationId: res.body.notification_id };
    });
  }

  // issueBoth fetches both formats under one access token (they share one
  // record and one status entry), draws the QR code, and returns the
  // record to store.
  function issueBoth(ep, access, expiresIn, refreshToken) {
    var key, sd;
    return holderKey().then(function (k) {
      key = k;
      return credentialOf(ep, access, key, CONFIG_SDJWT);
    }).then(function (r) {
      sd = r;
      return credentialOf(ep, access, key, CONFIG_VCJWT);
    }).then(function (vc) {
      var claims = jwtPart(vc.credential, 1);
      return LP.postJSON("/v1/wallet/qr", { credential: vc.credential }).then(function (res) {
        var qr = need(res, "draw your QR code");
        return {
          id: claims.jti,
          notificationId: vc.notificationId,
          sdJWT: sd.credential,
          vcJWT: vc.credential,
          claims: claims,
          link: qr.link,
          qr: "data:image/png;base64," + qr.png,
          endpoints: ep,
          refreshToken: refreshToken,
          access: access,
          // The access token serves the notifications while it lasts.
          accessExpires: Date.now() + (expiresIn || 0) * 1000,
          addedAt: new Date().toISOString(),
          status: null
        };
      });
    });
  }

  // notify tells the register the wallet stored the credential. Nothing
  // depends on it, so a failure is not shown.
  function notify(rec) {
    if (!rec.endpoints.notification || !rec.notificationId) {
      return Promise.resolve();
    }
    return LP.request(rec.endpoints.notification, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + rec.access },
      body: JSON.stringify({ notification_id: rec.notificationId, event: "credential_accepted" })
    });
  }

  // --- Status: the register's Token Status List, read in the page.
  //
  // The list is fetched from the register's own origin, the origin this
  // wallet's code came from, over the same connection; its signature is not
  // checked here, because a party able to change what that origin serves
  // could change this script too (docs/web.md, "Status in the wallet").
  // The token's typ, sub and exp are checked, and the entry is read as a
  // verifier reads it.

  var STATUS_VALUES = { 0: "valid", 1: "revoked", 2: "suspended" };

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new window.DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (b) {
      return new Uint8Array(b);
    });
  }

  // statusOf resolves to {value, listIssuedAt} for rec, or null when the
  // register could not be asked (no network); value "unknown" means the
  // list could not be read.
  function statusOf(rec) {
    var c = rec.claims;
    if (c.exp && c.exp * 1000 <= Date.now()) {
      return Promise.resolve({ value: "expired" });
    }
    var ref = c.status && c.status.status_list;
    if (!ref || !sameOrigin(ref.uri)) {
      return Promise.resolve({ value: "unknown" });
    }
    return fetch(ref.uri, { cache: "no-store", credentials: "omit", headers: { "Accept": "application/statuslist+jwt" } }).then(function (res) {
      if (!res.ok) {
        return { value: "unknown" };
      }
      return res.text().then(function (jwt) {
        var h = jwtPart(jwt, 0);
        var p = jwtPart(jwt, 1);
        var sl = p.status_list;
        if (h.typ !== "statuslist+jwt" || p.sub !== ref.uri || !sl || [1, 2, 4, 8].indexOf(sl.bits) < 0 ||
          (p.exp && p.exp * 1000 <= Date.now())) {
          return { value: "unknown" };
        }
        return inflate(unb64u(sl.lst)).then(function (bytes) {
          var bit = ref.idx * sl.bits;
          var at = Math.floor(bit / 8);
          if (at >= bytes.length) {
            return { value: "unknown" };
          }
          var v = (bytes[at] >> (bit % 8)) & ((1 << sl.bits) - 1);
          return { value: STATUS_VALUES[v] || "unknown", listIssuedAt: p.iat ? new Date(p.iat * 1000).toISOString() : null };
        });
      });
    }, function () {
      return null;
    }).catch(function () {
      return { value: "unknown" };
    });
  }

  // refresh replaces a superseded credential through the refresh token:
  // the register re-issued it (a renewal, a correction), so the old one
  // reads as revoked. It resolves to the new record, or null.
  function refresh(rec) {
    return tokenRequest(rec.endpoints, { grant_type: "refresh_token", refresh_token: rec.refreshToken }).then(function (res) {
      if (!res.ok) {
        throw new Failure(describe(res) || "The register did not renew this credential.");
      }
      return issueBoth(rec.endpoints, res.body.access_token, res.body.expires_in, rec.refreshToken);
    }).then(function (fresh) {
      return statusOf(fresh).then(function (st) {
        if (!st || st.value !== "valid") {
          throw new Failure("The register's new credential is not valid yet.");
        }
        fresh.status = { value: st.value, checkedAt: new Date().toISOString(), listIssuedAt: st.listIssuedAt };
        fresh.replaced = rec.id;
        // The new credential takes the place of every record of the same
        // wallet grant (the old one, and any a second tab stored).
        return allCredentials().then(function (recs) {
          return store("credentials", "readwrite", function (s) {
            recs.forEach(function (r) {
              if (r.id === rec.id || (r.refreshToken && r.refreshToken === rec.refreshToken)) {
                s.delete(r.id);
              }
            });
            return s.put(fresh);
          });
        }).then(function () {
          notify(fresh);
          return fresh;
        });
      });
    }).catch(function (err) {
      rec.refreshFailedAt = new Date().toISOString();
      rec.refreshError = err && err.message ? err.message : "The register did not renew this credential.";
      return updateCredential(rec).then(function () {
        return null;
      });
    });
  }

  var checking = null;
  var retryTimer = 0;
  // notice is news of the last check to show above the list (a
  // replacement), until the next one.
  var notice = "";
  // unreachable is set when the last check could not reach the register.
  var unreachable = false;

  // checkAll refreshes every credential's status from the register, and
  // replaces superseded ones. It does nothing offline.
  function checkAll() {
    if (checking || !navigator.onLine) {
      return checking || Promise.resolve();
    }
    // One check at a time across the wallet's tabs, so that two never
    // refresh the same credential at once.
    var locked = navigator.locks ? function (fn) {
      return navigator.locks.request("linkpass-wallet-check", fn);
    } : function (fn) {
      return fn();
    };
    checking = locked(checkEach).then(render, render).then(function () {
      checking = null;
      // A network that says it is up but did not reach the register (a
      // weak signal, a captive Wi-Fi) is tried again soon, not in 10
      // minutes.
      if (unreachable && navigator.onLine && !retryTimer) {
        retryTimer = window.setTimeout(function () {
          retryTimer = 0;
          checkAll();
        }, RETRY_UNREACHABLE_MS);
      }
    });
    return checking;
  }

  function checkEach() {
    return allCredentials().then(function (recs) {
      unreachable = false;
      notice = "";
      return Promise.all(recs.map(function (rec) {
        return statusOf(rec).then(function (st) {
          if (!st) {
            unreachable = true;
            return;
          }
          var was = rec.status && rec.status.value;
          rec.status = { value: st.value, checkedAt: new Date().toISOString(), listIssuedAt: st.listIssuedAt || null };
          return updateCredential(rec).then(function () {
            if (st.value === "revoked" && rec.refreshToken &&
              (!rec.refreshFailedAt || Date.now() - new Date(rec.refreshFailedAt).getTime() > REFRESH_RETRY_MS)) {
              return refresh(rec).then(function (fresh) {
                if (fresh) {
                  // #wallet-status, a live region, shows and announces it.
                  notice = "The register updated your credential for " + fresh.claims.credentialSubject.name + ". The new one is ready to show.";
                }
              });
            }
            if (was && was !== st.value) {
              announce("The status of your credential changed: " + STATUS[st.value].word + ".");
            }
          });
        });
      }));
    });
  }

  // --- Adding a credential from an offer link.

  var add = document.getElementById("add");
  var addError = document.getElementById("add-error");
  var addErrorText = document.getElementById("add-error-text");
  var form = document.getElementById("code-form");
  var codeInput = document.getElementById("tx-code");
  var codeError = document.getElementById("tx-code-error");
  var addStatus = document.getElementById("add-status");
  var submit = document.getElementById("code-submit");
  var pending = null;

  function offerURI() {
    var h = window.location.hash.slice(1);
    if (!h) {
      return null;
    }
    return new URLSearchParams(h).get("credential_offer_uri");
  }

  // forgetOffer takes the offer link out of the address bar and the
  // history: it is used, or dead.
  function forgetOffer() {
    window.history.replaceState(null, "", window.location.pathname);
  }

  function showAddError(f) {
    addErrorText.textContent = f.message;
    addError.hidden = false;
    addStatus.textContent = "";
    if (f.dead) {
      form.hidden = true;
      pending = null;
      forgetOffer();
    }
    addError.focus();
  }

  function startOffer(uri) {
    add.hidden = false;
    addError.hidden = true;
    form.hidden = true;
    if (!sameOrigin(uri)) {
      showAddError(new Failure("This link is for another register's wallet, not this one. Open it in the wallet it was meant for, or ask your registrar.", { dead: true }));
      return;
    }
    addStatus.textContent = "Opening your credential offer…";
    LP.getJSON(uri).then(function (res) {
      if (res.status === 404 || (res.body && res.body.error === "invalid_request")) {
        throw new Failure("This link has already been used, has expired or was cancelled, so it cannot add a credential." + ASK_REGISTRAR, { dead: true });
      }
      var offer = need(res, "open your credential offer");
      var grant = offer.grants && offer.grants[PRE_AUTH];
      if (!grant || !grant["pre-authorized_code"] || !sameOrigin(offer.credential_issuer)) {
        throw new Failure("This link is not a credential offer this wallet can use." + ASK_REGISTRAR, { dead: true });
      }
      return endpoints(offer.credential_issuer).then(function (ep) {
        pending = { code: grant["pre-authorized_code"], ep: ep, needsCode: !!grant.tx_code };
        form.hidden = false;
        addStatus.textContent = "";
        codeInput.focus();
      });
    }).catch(function (err) {
      showAddError(err instanceof Failure ? err : new Failure("Something went wrong opening the offer. Open the link from your email again."));
    });
  }

  function codeProblem(message) {
    codeError.hidden = false;
    LP.clear(codeError);
    codeError.appendChild(el("span", { "class": "visually-hidden", text: "Error: " }));
    codeError.appendChild(document.createTextNode(message));
    codeInput.setAttribute("aria-invalid", "true");
    codeInput.setAttribute("aria-describedby", "tx-code-hint tx-code-error");
    form.classList.add("search-error");
  }

  function clearCodeProblem() {
    codeError.hidden = true;
    codeInput.removeAttribute("aria-invalid");
    codeInput.setAttribute("aria-describedby", "tx-code-hint");
    form.classList.remove("search-error");
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!pending || submit.disabled) {
      return;
    }
    var code = codeInput.value.replace(/\s+/g, "");
    clearCodeProblem();
    addError.hidden = true;
    if (!pending.tokens && !/^\d{6}$/.test(code)) {
      codeProblem("Enter the 6 numbers of the code your registrar gave you, for example 123456.");
      codeInput.focus();
      return;
    }
    submit.disabled = true;
    var ep = pending.ep;
    // The code is accepted once: a second try after a failure further on
    // (the network dropped while the credential came) goes on with the
    // tokens it gave.
    var tokens = pending.tokens ? Promise.resolve({ ok: true, status: 200, body: pending.tokens }) :
      tokenRequest(ep, { grant_type: PRE_AUTH, "pre-authorized_code": pending.code, tx_code: code });
    addStatus.textContent = pending.tokens ? "Adding your credential…" : "Checking your code…";
    tokens.then(function (res) {
      if (res.status === 0) {
        throw new Failure(NO_NETWORK, { retry: true });
      }
      if (!res.ok) {
        var left = res.body ? res.body[TRIES_LEFT] : undefined;
        if (typeof left === "number" && left > 0) {
          throw new Failure("That code is not right. You have " + left + (left === 1 ? " try" : " tries") +
            " left. Check the code with your registrar and type it again.", { field: true });
        }
        if (typeof left === "number") {
          throw new Failure("That code is not right, and that was the last try, so this link no longer works." + ASK_REGISTRAR, { dead: true });
        }
        throw new Failure("This link can no longer add a credential: it was used, expired or was cancelled." + ASK_REGISTRAR, { dead: true });
      }
      addStatus.textContent = "Code accepted. Adding your credential…";
      pending.tokens = res.body;
      return issueBoth(ep, res.body.access_token, res.body.expires_in, res.body.refresh_token || null);
    }).then(function (rec) {
      return statusOf(rec).then(function (st) {
        if (st) {
          rec.status = { value: st.value, checkedAt: new Date().toISOString(), listIssuedAt: st.listIssuedAt || null };
        }
        return putCredential(rec);
      }).then(function () {
        notify(rec);
        pending = null;
        forgetOffer();
        form.reset();
        form.hidden = true;
        add.hidden = true;
        return render().then(function () {
          walletStatus.textContent = "Your credential has been added to this phone.";
          var h = document.getElementById("cred-" + rec.id + "-name");
          if (h) {
            h.focus();
          }
        });
      });
    }).catch(function (err) {
      var f = err instanceof Failure ? err : new Failure("Something went wrong adding your credential. Try again.");
      if (f.field) {
        codeProblem(f.message);
        addStatus.textContent = "";
        codeInput.select();
        codeInput.focus();
        return;
      }
      showAddError(f);
    }).then(function () {
      submit.disabled = false;
      if (pending && pending.tokens) {
        // The code was accepted; only the rest is tried again.
        submit.textContent = "Try again";
      }
    });
  });

  // --- The home screen.

  var STATUS = {
    valid: { word: "VALID", icon: "check", cls: "valid" },
    suspended: { word: "SUSPENDED", icon: "pause", cls: "suspended" },
    revoked: { word: "REVOKED", icon: "cross", cls: "revoked" },
    expired: { word: "EXPIRED", icon: "clock", cls: "expired" },
    unknown: { word: "STATUS NOT KNOWN", icon: "warning", cls: "unknown" },
    unchecked: { word: "NOT CHECKED YET", icon: "warning", cls: "unknown" }
  };

  function statusKey(rec) {
    var v = rec.status && rec.status.value;
    if (!v) {
      return rec.claims.exp && rec.claims.exp * 1000 <= Date.now() ? "expired" : "unchecked";
    }
    // Expiry needs no network: it is read from the credential itself.
    if (v === "valid" && rec.claims.exp && rec.claims.exp * 1000 <= Date.now()) {
      return "expired";
    }
    return STATUS[v] ? v : "unknown";
  }

  // advice says what a status means for the link worker, and what to do.
  function advice(key, rec) {
    switch (key) {
      case "valid":
        return "Your registration was in good standing at the last check.";
      case "suspended":
        return "Your registration is suspended. A checker will see SUSPENDED: do not use this credential to show that you are registered. Contact your registrar.";
      case "revoked":
        return "This credential no longer works. A checker will see REVOKED. " +
          (rec.refreshError ? "The register did not send a replacement (" + rec.refreshError.replace(/\.$/, "") + "). " : "") +
          "Contact your registrar; if you are still registered, they can send you a new link.";
      case "expired":
        return "This credential has passed its end date. Renew your registration, then ask your registrar for a new link.";
      case "unchecked":
        return "Its status has not been checked yet. Connect to the internet and open the wallet again.";
    }
    return "The register's status list could not be read, so the wallet cannot say whether it is valid. Try again later.";
  }

  function checkedText(rec) {
    if (!rec.status || !rec.status.checkedAt) {
      return "Not yet: connect to the internet";
    }
    return LP.formatDateTime(rec.status.checkedAt) + " (" + LP.between(rec.status.checkedAt, new Date().toISOString()) + " ago)";
  }

  // checkerView lists what the QR code shows a checker: everything in the
  // compact credential, which carries no selective disclosure.
  function checkerView(c) {
    var s = c.credentialSubject || {};
    var dl = el("dl", { "class": "facts" });
    LP.fact(dl, "Name", s.name);
    LP.fact(dl, "Registration number", el("span", { "class": "regno", text: s.registrationNumber }));
    LP.fact(dl, "Role", s.role || "");
    LP.fact(dl, "Restrictions", s.restrictions ? "Yes: the checker is told to read them on the public register" : "None");
    LP.fact(dl, "Nation", LP.nation(s.nation));
    LP.fact(dl, "Registered until", LP.formatDate(s.registeredUntil));
    var quals = s.qualifications || [];
    if (quals.length === 0) {
      LP.fact(dl, "Qualifications", "None recorded");
    } else {
      var ul = el("ul", { "class": "plain" });
      quals.forEach(function (q) {
        ul.appendChild(el("li", { text: q.title + (q.yearAwarded ? " (" + q.yearAwarded + ")" : "") }));
      });
      LP.fact(dl, "Qualifications", ul);
    }
    LP.fact(dl, "PSA Quality Mark", s.qualityMark ? "Shown, until " + LP.formatDate(s.qualityMark.validUntil) : "Not shown");
    return el("div", { "class": "checker-view" }, [
      el("p", { text: "When a GP practice or employer scans your QR code, their screen shows whether your credential is valid, suspended or revoked, and these details. It asks them to check your photo ID matches your name." }),
      dl,
      el("p", { "class": "hint", text: "Your address, date of birth, email and phone number are never in it." })
    ]);
  }

  function card(rec) {
    var c = rec.claims;
    var s = c.credentialSubject || {};
    var key = statusKey(rec);
    var st = STATUS[key];
    var nameID = "cred-" + rec.id + "-name";

    var badge = el("span", { "class": "badge wallet-badge wallet-badge-" + st.cls, "data-status": key }, [LP.icon(st.icon), el("span", { text: st.word })]);
    var facts = el("dl", { "class": "facts" });
    LP.fact(facts, "Registration number", el("span", { "class": "regno", text: s.registrationNumber }));
    LP.fact(facts, "Status checked", el("span", { "class": "checked-at", text: checkedText(rec) }));

    var showBtn = el("button", { type: "button", "class": "button primary", "data-action": "show" }, [el("span", { text: "Show QR code" })]);
    showBtn.addEventListener("click", function () {
      openQR(rec, showBtn);
    });

    var details = el("details", { "class": "checker" }, [
      el("summary", { text: "What the checker will see" }),
      checkerView(c)
    ]);

    var confirmBox = el("div", { "class": "confirm", hidden: true, role: "group", "aria-labelledby": "cred-" + rec.id + "-confirm" }, [
      el("p", { id: "cred-" + rec.id + "-confirm" }, [el("strong", { text: "Remove this credential from this phone?" }),
        " You will need a new link from your registrar to add it again. It stays on the register."])
    ]);
    var removeBtn = el("button", { type: "button", "class": "button", "data-action": "remove" }, [el("span", { text: "Remove from this phone" })]);
    var yes = el("button", { type: "button", "class": "button warning", "data-action": "confirm-remove", text: "Yes, remove it" });
    var no = el("button", { type: "button", "class": "button", "data-action": "keep", text: "No, keep it" });
    confirmBox.appendChild(el("div", { "class": "actions" }, [yes, no]));
    removeBtn.addEventListener("click", function () {
      confirmBox.hidden = false;
      removeBtn.hidden = true;
      no.focus();
    });
    no.addEventListener("click", function () {
      confirmBox.hidden = true;
      removeBtn.hidden = false;
      removeBtn.focus();
    });
    yes.addEventListener("click", function () {
      store("credentials", "readwrite", function (st) {
        return st.delete(rec.id);
      }).then(function () {
        // Tell the register, as OpenID4VCI provides, while the access
        // token lasts; nothing depends on it.
        if (navigator.onLine && rec.endpoints && rec.endpoints.notification && Date.now() < (rec.accessExpires || 0)) {
          LP.request(rec.endpoints.notification, {
            method: "POST",
            headers: { "Content-Type": "application/json", "Authorization": "Bearer " + rec.access },
            body: JSON.stringify({ notification_id: rec.notificationId, event: "credential_deleted" })
          });
        }
        return render();
      }).then(function () {
        walletStatus.textContent = "The credential was removed from this phone.";
        document.getElementById("credentials-heading").focus();
      });
    });

    return el("article", { "class": "wallet-card wallet-card-" + st.cls, "aria-labelledby": nameID, "data-id": rec.id, "data-regno": s.registrationNumber }, [
      el("h3", { "class": "entry-name", id: nameID, tabindex: "-1", text: s.name }),
      el("p", { "class": "entry-status" }, [badge]),
      el("p", { "class": "wallet-advice", text: advice(key, rec) }),
      facts,
      el("div", { "class": "actions" }, [showBtn, removeBtn]),
      confirmBox,
      details
    ]);
  }

  function render() {
    return allCredentials().then(function (recs) {
      recs.sort(function (a, b) {
        return a.addedAt < b.addedAt ? 1 : -1;
      });
      LP.clear(list);
      recs.forEach(function (rec) {
        list.appendChild(card(rec));
      });
      empty.hidden = recs.length > 0 || !add.hidden;
      document.getElementById("check-actions").hidden = recs.length === 0;
      // While a first credential is being added, the empty list says
      // nothing useful.
      document.getElementById("credentials").hidden = recs.length === 0 && !add.hidden;
      var offline = !navigator.onLine || unreachable;
      walletStatus.textContent = recs.length === 0 ? "" : notice ? notice :
        !offline ? (recs.length === 1 ? "1 credential on this phone." : recs.length + " credentials on this phone.") :
          (navigator.onLine ? "The register could not be reached." : "This phone is offline.") +
          " Your credential still works, and shows its status as of the last check.";
    });
  }

  // --- The full-screen QR code.

  var qrView = document.getElementById("qr-view");
  var qrImg = document.getElementById("qr-view-img");
  var qrTitle = document.getElementById("qr-view-title");
  var qrName = document.getElementById("qr-view-name");
  var qrStatus = document.getElementById("qr-view-status");
  var qrClose = document.getElementById("qr-view-close");
  var qrReturn = null;

  function openQR(rec, from) {
    var s = rec.claims.credentialSubject || {};
    var key = statusKey(rec);
    qrImg.src = rec.qr;
    qrImg.alt = "QR code of the credential of " + s.name + ", registration number " + s.registrationNumber;
    qrImg.setAttribute("data-link", rec.link);
    qrName.textContent = s.name + " · " + s.registrationNumber;
    qrStatus.className = "qr-view-status wallet-badge-" + STATUS[key].cls;
    qrStatus.textContent = key === "valid" ? "Valid at the last check, " + checkedText(rec) + "." :
      STATUS[key].word + ": " + advice(key, rec);
    qrReturn = from;
    qrView.hidden = false;
    document.body.classList.add("qr-open");
    keepScreenOn();
    qrTitle.focus();
  }

  function closeQR() {
    qrView.hidden = true;
    document.body.classList.remove("qr-open");
    letScreenSleep();
    if (qrReturn) {
      qrReturn.focus();
    }
  }

  // While the code is shown, keep the screen on where the browser allows;
  // where it does not, nothing is lost.
  var wakeLock = null;

  function keepScreenOn() {
    if (!navigator.wakeLock) {
      return;
    }
    navigator.wakeLock.request("screen").then(function (l) {
      wakeLock = l;
    }, function () {
      wakeLock = null;
    });
  }

  function letScreenSleep() {
    if (wakeLock) {
      wakeLock.release().catch(function () {});
      wakeLock = null;
    }
  }

  qrClose.addEventListener("click", closeQR);
  qrView.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      closeQR();
    } else if (ev.key === "Tab") {
      // Focus stays in the dialog: the close button is its only control.
      ev.preventDefault();
      qrClose.focus();
    }
  });

  // --- Start.

  function start() {
    if (!window.indexedDB || !window.crypto || !window.crypto.subtle || !window.DecompressionStream) {
      walletStatus.textContent = "This browser cannot keep a credential. Open this page in an up-to-date Chrome, Safari, Firefox or Edge.";
      return;
    }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/wallet/sw.js", { scope: "/wallet" }).catch(function () {
        // The wallet still works online without it.
      });
    }
    var uri = offerURI();
    if (uri) {
      startOffer(uri);
    }
    render().then(checkAll);
    var checkNow = document.getElementById("check-now");
    checkNow.addEventListener("click", function () {
      if (!navigator.onLine) {
        walletStatus.textContent = "This phone is offline. Connect to the internet to check your status.";
        return;
      }
      checkNow.disabled = true;
      walletStatus.textContent = "Checking your status with the register…";
      checkAll().then(function () {
        checkNow.disabled = false;
        if (!unreachable && !notice) {
          walletStatus.textContent = "Checked with the register just now.";
        }
      });
    });
    window.addEventListener("online", checkAll);
    window.addEventListener("offline", render);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        checkAll();
      }
    });
    window.setInterval(checkAll, CHECK_EVERY_MS);
    window.addEventListener("hashchange", function () {
      var u = offerURI();
      if (u) {
        startOffer(u);
      }
    });
  }

  start();
})();
