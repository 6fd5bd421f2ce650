// The live part of a peer-coaching session: follows the session's event stream, redraws the
// panel the server renders, keeps the timer running from the server's clock, and saves what
// a person types without ever losing it. Without this script the page still works: every
// button is a form, every text area is saved by its form's button.
(function () {
  "use strict";
  var root = document.getElementById("session");
  var meta = document.querySelector('meta[name="binome-session"]');
  if (!root || !meta || !window.fetch) { return; }
  var base = (document.querySelector('meta[name="binome-base"]') || {}).content || "";
  var lastSeq = Number(root.getAttribute("data-seq") || 0);
  var offset = 0; // server clock minus this browser's clock, in ms
  var live = document.getElementById("live");
  var SAVE_DELAY = 1200;

  function token() { return meta.content; }
  function auth(extra) {
    var h = { "Authorization": "Bearer " + token() };
    for (var k in extra || {}) { h[k] = extra[k]; }
    return h;
  }
  function say(text) {
    if (!live || !text) { return; }
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  }
  function learnClock(serverNow) {
    if (serverNow) { offset = Number(serverNow) - Date.now(); }
  }
  learnClock(root.getAttribute("data-server-now"));

  // ---- moments: the meeting's date and time is kept as an instant in UTC with the time zone
  // of whoever set it ("2027-01-15T13:00:00Z[Europe/Paris]"); each page shows it, and lets
  // it be changed, in its own reader's zone.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  var lang = document.documentElement.lang || "en";
  function pad(n) { return ("0" + n).slice(-2); }
  // "2027-01-15T13:00:00Z" as a date-and-time input's value here ("2027-01-15T14:00" in Paris).
  function localInput(utc) {
    var d = new Date(utc);
    if (isNaN(d.getTime())) { return ""; }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  // An input's value (local time here) as the instant in UTC.
  function utcOf(local) {
    if (!local) { return ""; }
    var d = new Date(local); // a date and time without an offset is local time
    if (isNaN(d.getTime())) { return ""; }
    return d.toISOString().slice(0, 19) + "Z";
  }
  // What a field holds as it is saved: its text, or for a moment the instant and this zone.
  function current(el) {
    if (!el.hasAttribute("data-moment")) { return el.value; }
    var utc = utcOf(el.value);
    return utc ? utc + (zone ? "[" + zone + "]" : "") : "";
  }
  // A saved text as a field shows it (a moment as this reader's local time).
  function shown(el, text) {
    return el.hasAttribute("data-moment") ? localInput(String(text || "").split("[")[0]) : text;
  }
  function localize(scope) {
    var inputs = scope.querySelectorAll("input[data-moment][data-utc]");
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].value = localInput(inputs[i].getAttribute("data-utc"));
    }
    var zones = scope.querySelectorAll("[data-zone]");
    for (var z = 0; zone && z < zones.length; z++) { zones[z].textContent = "(" + zone + ")"; }
    var times = scope.querySelectorAll("time[data-local]");
    for (var t = 0; t < times.length; t++) {
      var d = new Date(times[t].getAttribute("datetime"));
      if (isNaN(d.getTime())) { continue; }
      try {
        times[t].textContent = new Intl.DateTimeFormat(lang, {
          year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
          timeZoneName: "short"
        }).format(d);
      } catch (e) {}
    }
  }

  // ---- fields: debounced saves, on blur and before unload; a stale version is a conflict
  var pending = {}; // field id -> timer
  function fieldId(el) { return el.getAttribute("data-field"); }
  function save(el, keepalive) {
    var id = fieldId(el);
    clearTimeout(pending[id]); delete pending[id];
    var text = current(el);
    if (el.getAttribute("data-saved") === text) { return Promise.resolve(); }
    var body = new URLSearchParams();
    body.set("t", token()); body.set("field", id); body.set("text", text);
    body.set("version", el.getAttribute("data-version") || "0");
    var status = el.parentNode.querySelector("[data-save-status]");
    if (status) { status.textContent = root.getAttribute("data-saving") || ""; }
    return fetch(base + "/app/session/field", {
      method: "POST", keepalive: !!keepalive,
      headers: auth({ "Accept": "application/json" }), body: body
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (res) {
      if (res.status === 200) {
        el.setAttribute("data-version", res.body.version);
        el.setAttribute("data-saved", text);
        el.removeAttribute("aria-invalid");
        if (status) { status.textContent = root.getAttribute("data-saved-text") || ""; }
        clearConflict(el);
      } else if (res.status === 409 && res.body && typeof res.body.version === "number") {
        showConflict(el, shown(el, res.body.text), res.body.version);
      } else {
        // Refused (a link that is not one, a text too long…): say why, keep what was typed.
        if (res.status === 409) { el.setAttribute("aria-invalid", "true"); }
        if (status) {
          status.textContent = (res.body && res.body.message) || root.getAttribute("data-save-failed") || "";
        }
      }
    }).catch(function () {
      if (status) { status.textContent = root.getAttribute("data-save-failed") || ""; }
    });
  }
  function schedule(el) {
    var id = fieldId(el);
    clearTimeout(pending[id]);
    pending[id] = setTimeout(function () { save(el); }, SAVE_DELAY);
  }
  // Someone else saved this field while it was being typed in: keep both texts on screen,
  // the other one read-only, and let the person choose; nothing typed disappears.
  function showConflict(el, theirs, version) {
    el.setAttribute("data-version", version);
    el.setAttribute("aria-invalid", "true");
    var box = el.parentNode.querySelector(".conflict");
    if (!box) {
      box = document.createElement("div");
      box.className = "conflict";
      box.setAttribute("role", "alert");
      var p = document.createElement("p");
      p.textContent = root.getAttribute("data-conflict") || "";
      var other = document.createElement("textarea");
      other.readOnly = true; other.className = "theirs";
      other.setAttribute("aria-label", root.getAttribute("data-conflict-theirs") || "");
      var keep = document.createElement("button");
      keep.type = "button"; keep.textContent = root.getAttribute("data-keep-mine") || "";
      keep.addEventListener("click", function () { el.removeAttribute("data-saved"); save(el); });
      var take = document.createElement("button");
      take.type = "button"; take.textContent = root.getAttribute("data-take-theirs") || "";
      take.addEventListener("click", function () {
        el.value = other.value; el.setAttribute("data-saved", current(el)); clearConflict(el);
      });
      box.appendChild(p); box.appendChild(other); box.appendChild(keep); box.appendChild(take);
      el.parentNode.appendChild(box);
    }
    box.querySelector(".theirs").value = theirs;
  }
  function clearConflict(el) {
    var box = el.parentNode.querySelector(".conflict");
    if (box) { box.parentNode.removeChild(box); }
    el.removeAttribute("aria-invalid");
  }
  function wire(scope) {
    var areas = scope.querySelectorAll("[data-field]");
    for (var i = 0; i < areas.length; i++) {
      var el = areas[i];
      if (el.getAttribute("data-wired")) { continue; }
      el.setAttribute("data-wired", "1");
      el.setAttribute("data-saved", current(el));
      el.addEventListener("input", function (e) { schedule(e.target); });
      el.addEventListener("change", function (e) { schedule(e.target); });
      el.addEventListener("blur", function (e) { save(e.target); });
    }
    var fieldForms = scope.querySelectorAll("form.field-form");
    for (var f = 0; f < fieldForms.length; f++) {
      if (fieldForms[f].getAttribute("data-wired")) { continue; }
      fieldForms[f].setAttribute("data-wired", "1");
      fieldForms[f].addEventListener("submit", function (e) {
        e.preventDefault();
        var area = e.target.querySelector("[data-field]");
        if (area) { area.removeAttribute("data-saved"); save(area); }
      });
    }
    var forms = scope.querySelectorAll("form[data-command]");
    for (var j = 0; j < forms.length; j++) {
      if (forms[j].getAttribute("data-wired")) { continue; }
      forms[j].setAttribute("data-wired", "1");
      forms[j].addEventListener("submit", command);
    }
  }
  window.addEventListener("pagehide", function () {
    var areas = root.querySelectorAll("[data-field]");
    for (var i = 0; i < areas.length; i++) { save(areas[i], true); }
    gone();
  });

  // ---- commands: posted in the background, the panel redraws from the event they cause
  function command(e) {
    e.preventDefault();
    var form = e.target;
    var data = new URLSearchParams(new FormData(form));
    data.set("t", token());
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST", headers: auth({ "Accept": "application/json" }), body: data
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    }).then(function (res) {
      if (!res.ok) { say(res.body && res.body.message); }
      else if (res.body && typeof res.body.seq === "number") { wanted = Math.max(wanted, res.body.seq); }
      else if (res.body && typeof res.body.session === "number") { plain = true; }
      return redraw();
    }).catch(function () { form.submit(); })
      .then(function () { if (button) { button.disabled = false; } });
  }

  // ---- the panel: redrawn by the server, keeping what is being typed
  // Each panel says which of the group's sessions it shows (data-session, an ordinal) and
  // up to which entry of its log (data-seq); the stream's hello says which session it
  // follows. A redraw asked while one is in flight is done after it, never dropped (its
  // answer may have been rendered before the change that asked for it), and a panel older
  // than an event heard is fetched again: no change is ever left off the screen.
  var drawing = null;
  var again = false;
  var folds = {}; // id of a folded part -> whether the reader opened it
  root.addEventListener("toggle", function (e) {
    if (e.target && e.target.id) { folds[e.target.id] = e.target.open; }
  }, true);
  var stale = 0; // redraws in a row that came back older than what the stream said
  var streamSession = null; // the session the stream follows, from its hello
  function shownAt() {
    var p = document.getElementById("session-panel");
    return {
      session: Number(p.getAttribute("data-session") || 0),
      seq: Number(p.getAttribute("data-seq") || 0)
    };
  }
  function behind() {
    if (streamSession === null) { return false; }
    var at = shownAt();
    return at.session < streamSession || (at.session === streamSession && at.seq < lastSeq);
  }
  function settle() {
    var at = shownAt();
    if (streamSession !== null && at.session > streamSession) { follow(at); }
    if (again || behind()) {
      stale = again ? 0 : stale + 1;
      // A panel that keeps coming back older (which should not happen) is asked for again
      // more and more slowly rather than in a tight loop.
      setTimeout(redraw, stale > 1 ? Math.min(250 * stale, 5000) : 0);
    } else { stale = 0; }
  }
  // The panel asked for is at least at the entry the stream told (or the page's own last
  // command wrote): the server may then draw it from what it holds without reading.
  var wanted = 0;
  var plain = false; // the next panel is read as it stands (the group opened a session)
  function panelUrl() {
    var url = base + "/app/session/panel";
    if (streamSession === null || plain) { plain = false; return url; }
    return url + "?session=" + streamSession + "&after=" + Math.max(lastSeq, wanted);
  }
  function redraw() {
    if (drawing) { again = true; return drawing; }
    again = false;
    drawing = fetch(panelUrl(), { headers: auth() })
      .then(function (r) {
        learnClock(r.headers.get("X-Server-Now"));
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        var panel = document.getElementById("session-panel");
        var before = panel.getAttribute("data-step");
        var typing = {};
        var areas = panel.querySelectorAll("[data-field]");
        for (var i = 0; i < areas.length; i++) {
          var a = areas[i];
          if (current(a) !== a.getAttribute("data-saved")) { typing[fieldId(a)] = a; }
        }
        var focused = document.activeElement && document.activeElement.getAttribute
          ? document.activeElement.getAttribute("data-field") || document.activeElement.id : null;
        var tmp = document.createElement("div");
        tmp.innerHTML = html;
        var fresh = tmp.firstElementChild;
        var after = fresh.getAttribute("data-step");
        // Folded parts keep the state the reader gave them while the step stays the same.
        if (after !== before) { folds = {}; }
        for (var fold in folds) {
          var d = fresh.querySelector('details[id="' + fold + '"]');
          if (d) { d.open = folds[fold]; }
        }
        localize(fresh);
        panel.parentNode.replaceChild(fresh, panel);
        for (var id in typing) {
          var now = fresh.querySelector('[data-field="' + id + '"]');
          if (now) {
            var theirs = current(now);
            var theirsShown = now.value;
            now.value = typing[id].value;
            wire(fresh);
            // What the server holds is what is saved; what was typed over it is still to
            // save (or, when the server's text changed meanwhile, to choose between).
            now.setAttribute("data-saved", theirs);
            if (theirs !== typing[id].getAttribute("data-saved")) {
              showConflict(now, theirsShown, now.getAttribute("data-version"));
            } else { schedule(now); }
          }
        }
        wire(fresh);
        if (focused) {
          var back = fresh.querySelector('[data-field="' + focused + '"]') || document.getElementById(focused);
          if (back) { back.focus({ preventScroll: true }); }
        }
        if (after !== before) { say(fresh.getAttribute("data-announce")); }
        tick();
      })
      .catch(function () {})
      .then(function () { drawing = null; settle(); });
    return drawing;
  }

  // ---- the timer: the server owns it; this only counts down from what it said
  var warned = {};
  function tick() {
    var timers = document.querySelectorAll("[data-timer]");
    for (var i = 0; i < timers.length; i++) {
      var t = timers[i];
      var started = Number(t.getAttribute("data-started"));
      var duration = Number(t.getAttribute("data-duration"));
      var pausedSince = t.getAttribute("data-paused-since");
      var pausedTotal = Number(t.getAttribute("data-paused-total") || 0); // ms
      var now = pausedSince ? Number(pausedSince) : Date.now() + offset;
      // The server's formula (coaching::TimerView::remaining_secs).
      var left = Math.floor((duration * 1000 - Math.max(0, now - started - pausedTotal)) / 1000);
      var over = left < 0;
      var a = Math.abs(left);
      var text = (over ? "+" : "") + Math.floor(a / 60) + ":" + ("0" + (a % 60)).slice(-2);
      var out = t.querySelector("[data-timer-text]");
      if (out && out.textContent !== text) { out.textContent = text; }
      t.classList.toggle("overtime", over);
      var key = t.getAttribute("data-started");
      if (!pausedSince && left <= 60 && left > 0 && !warned[key]) {
        warned[key] = true; say(t.getAttribute("data-last-minute"));
      }
    }
  }
  setInterval(tick, 1000);
  tick();

  // ---- the event stream: fetch with the token in a header (never in the URL), resumed from
  // the last event seen after any drop
  var backoff = 500;
  var streamCtrl = null;
  function connect() {
    var ctrl = new AbortController();
    streamCtrl = ctrl;
    streamSession = null;
    fetch(base + "/api/coaching/events", {
      headers: auth({ "Accept": "text/event-stream", "Last-Event-ID": String(lastSeq) }),
      signal: ctrl.signal, cache: "no-store"
    }).then(function (r) {
      if (r.status === 401 || r.status === 403) { throw new Error("refused"); }
      if (!r.ok || !r.body) { throw new Error("stream"); }
      backoff = 500;
      var reader = r.body.getReader();
      var decoder = new TextDecoder();
      var buf = "";
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { throw new Error("closed"); }
          buf += decoder.decode(chunk.value, { stream: true });
          var at;
          while ((at = buf.indexOf("\n\n")) >= 0) {
            handle(buf.slice(0, at));
            buf = buf.slice(at + 2);
          }
          return read();
        });
      }
      return read();
    }).catch(function (err) {
      // A stream this page let go of (it follows a newer session now) is not reconnected.
      if (ctrl !== streamCtrl) { return; }
      if ((err && err.message === "refused") || replaced) { return; }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    });
  }
  // The group opened its next session (the panel shows it): follow that one from the
  // panel's place in its log.
  function follow(at) {
    if (replaced) { return; }
    lastSeq = at.seq; wanted = 0;
    var old = streamCtrl;
    streamCtrl = null;
    if (old) { old.abort(); }
    backoff = 500;
    connect();
  }
  // A newer screen of the same person took this one's place (the server keeps a few per
  // person): say so, and follow again only when asked, so that two tabs do not take turns.
  var replaced = false;
  function showReplaced() {
    if (document.getElementById("stream-replaced")) { return; }
    var box = document.createElement("div");
    box.id = "stream-replaced"; box.className = "notice"; box.setAttribute("role", "status");
    var p = document.createElement("p");
    p.textContent = root.getAttribute("data-replaced") || "";
    var again = document.createElement("button");
    again.type = "button"; again.textContent = root.getAttribute("data-follow") || "";
    again.addEventListener("click", function () {
      box.parentNode.removeChild(box); replaced = false; backoff = 500; connect(); redraw();
    });
    box.appendChild(p); box.appendChild(again);
    root.insertBefore(box, root.firstChild);
  }
  function handle(block) {
    var id = null, type = "message", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("id:") === 0) { id = line.slice(3).trim(); }
      else if (line.indexOf("event:") === 0) { type = line.slice(6).trim(); }
      else if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
      // A stopping server says when to come back (it then ends the stream).
      else if (line.indexOf("retry:") === 0) { var ms = Number(line.slice(6).trim()); if (ms > 0) { backoff = Math.min(ms, 10000); } }
    });
    if (id !== null && Number(id) > lastSeq) { lastSeq = Number(id); }
    if (type === "hello") {
      var hello = {};
      try { hello = JSON.parse(data); } catch (e) {}
      learnClock(hello.now);
      if (typeof hello.session === "number") {
        streamSession = hello.session;
        lastSeq = Number(hello.seq) || 0;
        if (!drawing && behind()) { redraw(); }
      }
      return;
    }
    if (type === "replaced") { replaced = true; showReplaced(); return; }
    if (type === "change" || type === "field" || type === "reset" || type === "presence") { redraw(); }
  }

  // Presence: tell the others whether this screen is looked at.
  function presence() {
    var body = new URLSearchParams();
    body.set("t", token()); body.set("away", document.hidden ? "true" : "false");
    fetch(base + "/api/coaching/presence", {
      method: "POST", headers: auth({ "Accept": "application/json" }), body: body
    }).catch(function () {});
  }
  document.addEventListener("visibilitychange", presence);
  setInterval(presence, 30000);
  // The page goes (tab closed, the LMS page left): say so at once, with a beacon (it carries
  // the token in its form, as it can send no header), so the others see this member offline
  // within seconds rather than "away" until the stream's end is noticed.
  function gone() {
    var body = new URLSearchParams();
    body.set("t", token()); body.set("presence", "offline");
    var url = base + "/api/coaching/presence";
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) { return; }
    fetch(url, { method: "POST", keepalive: true, headers: auth({ "Accept": "application/json" }), body: body })
      .catch(function () {});
  }
  // Back from the browser's page cache: online again, and the panel brought up to date.
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { presence(); redraw(); }
  });

  // A printed copy has every folded part open.
  window.addEventListener("beforeprint", function () {
    var folded = root.querySelectorAll("details");
    for (var i = 0; i < folded.length; i++) { folded[i].open = true; }
  });
  // A print-friendly copy: the print style sheet shows every text and hides the controls.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-print]");
    if (b) { e.preventDefault(); window.print(); }
  });

  localize(root);
  wire(root);
  connect();
  presence(); // the others see this member online from now, not from the first beat
})();
