// passkey.js: the WebAuthn ceremonies of the console (adding a passkey at
// account setup, signing in with it). The server gives the options and
// checks the answer; this script only carries them between the server and
// the browser's navigator.credentials, converting base64url to bytes and
// back. Everything else in the console works without script.
"use strict";

(function () {
  function toBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const b = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
    return b.buffer;
  }

  function fromBuf(buf) {
    if (!buf) return undefined;
    const b = new Uint8Array(buf);
    let s = "";
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function post(url, csrf, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try {
      data = await res.json();
    } catch (e) {
      data = {};
    }
    if (!res.ok) throw new Error(data.error || "The register did not accept the passkey. Try again.");
    return data;
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuf(c.id) });
    });
  }

  async function create(root) {
    const opts = (await post(root.dataset.begin, root.dataset.csrf)).publicKey;
    opts.challenge = toBuf(opts.challenge);
    opts.user = Object.assign({}, opts.user, { id: toBuf(opts.user.id) });
    opts.excludeCredentials = descriptors(opts.excludeCredentials);
    const cred = await navigator.credentials.create({ publicKey: opts });
    return post(root.dataset.finish, root.dataset.csrf, {
      id: cred.id,
      rawId: fromBuf(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: fromBuf(cred.response.clientDataJSON),
        attestationObject: fromBuf(cred.response.attestationObject),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
    });
  }

  async function get(root) {
    const opts = (await post(root.dataset.begin, root.dataset.csrf)).publicKey;
    opts.challenge = toBuf(opts.challenge);
    opts.allowCredentials = descriptors(opts.allowCredentials);
    const cred = await navigator.credentials.get({ publicKey: opts });
    return post(root.dataset.finish, root.dataset.csrf, {
      id: cred.id,
      rawId: fromBuf(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: fromBuf(cred.response.clientDataJSON),
        authenticatorData: fromBuf(cred.response.authenticatorData),
        signature: fromBuf(cred.response.signature),
        userHandle: fromBuf(cred.response.userHandle),
      },
    });
  }

  function wire(root, ceremony, busy) {
    const button = document.getElementById("passkey-button");
    const status = document.getElementById("passkey-status");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      status.textContent = "This browser cannot use passkeys. Use an authenticator app or a recovery code instead.";
      return;
    }
    button.disabled = false;
    status.textContent = "";
    button.addEventListener("click", async function () {
      button.disabled = true;
      status.textContent = busy;
      try {
        const done = await ceremony(root);
        status.textContent = "Done.";
        window.location.assign(done.next);
      } catch (e) {
        status.textContent =
          e && e.name === "NotAllowedError"
            ? "The passkey was not used (it was cancelled, or timed out). Try again."
            : (e && e.message) || "The passkey did not work. Try again.";
        button.disabled = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const setup = document.getElementById("passkey-setup");
    if (setup) wire(setup, create, "Follow your browser's instructions to make the passkey…");
    const signin = document.getElementById("passkey-signin");
    if (signin) wire(signin, get, "Follow your browser's instructions to use your passkey…");
  });
})();
