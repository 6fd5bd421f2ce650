// LTI client-side platform storage (1EdTech "OIDC login with LTI client side postMessages"),
// as Canvas offers it through `lti_storage_target`.
//
// mode "put"  (login):  store the browser secret in the platform's frame, then go on to the
//                       platform's authentication URL. If storage fails, go on anyway: the
//                       state cookie remains as the fallback.
// mode "get"  (launch): read the secret back and post the launch again with it. If it cannot
//                       be read, offer to open Binôme in a new window.
(function () {
  "use strict";
  var el = document.getElementById("storage");
  var mode = el.dataset.mode, target = el.dataset.target, origin = el.dataset.origin;
  var key = el.dataset.key, value = el.dataset.value, next = el.dataset.next;
  var TIMEOUT_MS = 2000;

  function frameNamed(name) {
    try {
      if (name && window.parent.frames[name]) { return window.parent.frames[name]; }
    } catch (e) { /* cross-origin access to frames by name may throw; fall back */ }
    return window.parent;
  }

  function ask(frame, targetOrigin, message) {
    return new Promise(function (resolve, reject) {
      var id = "binome-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
      message.message_id = id;
      var timer = setTimeout(function () { cleanup(); reject(new Error("timeout")); }, TIMEOUT_MS);
      function cleanup() { clearTimeout(timer); window.removeEventListener("message", onMessage); }
      function onMessage(event) {
        var data = event.data;
        if (typeof data === "string") { try { data = JSON.parse(data); } catch (e) { return; } }
        if (!data || data.message_id !== id || data.subject !== message.subject + ".response") { return; }
        if (targetOrigin !== "*" && event.origin !== targetOrigin) { return; }
        cleanup();
        if (data.error) { reject(new Error(data.error.code || "error")); } else { resolve(data); }
      }
      window.addEventListener("message", onMessage);
      frame.postMessage(message, targetOrigin);
    });
  }

  function storageFrame() {
    // Ask which frame handles put/get; the capabilities request carries no secret.
    return ask(window.parent, "*", { subject: "lti.capabilities" }).then(function (caps) {
      var wanted = mode === "put" ? "lti.put_data" : "lti.get_data";
      var found = (caps.supported_messages || []).filter(function (m) { return m.subject === wanted; })[0];
      if (!found) { throw new Error("unsupported"); }
      return frameNamed(found.frame || target);
    }, function () {
      // Platforms that predate lti.capabilities still answer on the named frame.
      return frameNamed(target);
    });
  }

  function giveUp() {
    document.getElementById("wait").hidden = true;
    document.getElementById("newwin").hidden = false;
  }

  if (mode === "put") {
    storageFrame()
      .then(function (frame) { return ask(frame, origin, { subject: "lti.put_data", key: key, value: value }); })
      .catch(function () { /* the cookie stays as fallback */ })
      .then(function () { window.location.replace(next); });
  } else {
    storageFrame()
      .then(function (frame) { return ask(frame, origin, { subject: "lti.get_data", key: key }); })
      .then(function (reply) {
        if (!reply.value) { throw new Error("missing"); }
        var form = document.getElementById("relaunch-form");
        form.elements.storage_secret.value = reply.value;
        form.submit();
      })
      .catch(giveUp);
  }
})();
