// The page's own script: keeps the session token out of URLs and alive while the page is in
// use, reopens the page after a reload inside the LMS frame, shows moments in the reader's
// time zone, tells the LMS the page's height, and brings an action's outcome into view.
(function () {
  "use strict";
  var KEY = "binome.session";
  var meta = document.querySelector('meta[name="binome-session"]');
  var baseMeta = document.querySelector('meta[name="binome-base"]');
  var base = baseMeta ? baseMeta.content : "";

  function store(token) {
    try { sessionStorage.setItem(KEY, token); } catch (e) { /* storage refused: forms still work */ }
  }
  function stored() {
    try { return sessionStorage.getItem(KEY); } catch (e) { return null; }
  }
  function setToken(token) {
    if (meta) { meta.content = token; }
    var inputs = document.querySelectorAll('input[name="t"]');
    for (var i = 0; i < inputs.length; i++) { inputs[i].value = token; }
    store(token);
  }

  if (meta && meta.content) {
    store(meta.content);
    // The hand-off code in the address is used up: a reload must not send it again.
    if (window.history && history.replaceState && location.search.indexOf("open=") >= 0) {
      history.replaceState(null, "", location.pathname + location.hash);
    }
    // Renew the token while the page is open (it lives half an hour by default).
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(base + "/api/session/renew", {
        method: "POST",
        headers: { "Authorization": "Bearer " + meta.content }
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { if (j && j.token) { setToken(j.token); } })
        .catch(function () {});
    }, 5 * 60 * 1000);
  }

  // A page of the session asked without one (a reload of the frame): reopen it with the
  // token this tab keeps, once.
  var reopen = document.querySelector("[data-reopen]");
  if (reopen) {
    var token = stored();
    var mark = "binome.reopened:" + location.pathname;
    var last = 0;
    try { last = Number(sessionStorage.getItem(mark) || 0); } catch (e) {}
    if (token && Date.now() - last > 10000) {
      try { sessionStorage.setItem(mark, String(Date.now())); } catch (e) {}
      var to = location.pathname.replace(base, "").replace(/^\/app\/?/, "") || "app";
      var form = document.createElement("form");
      form.method = "post";
      form.action = base + "/app/go";
      [["t", token], ["to", to]].forEach(function (kv) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = kv[0]; input.value = kv[1];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
      return;
    }
  }

  // Moments come from the server in UTC (`<time datetime>`, with the UTC wording for readers
  // without scripts): write them in the reader's own time zone and language.
  var times = document.querySelectorAll("time[datetime]");
  var format = null;
  if (times.length && window.Intl && Intl.DateTimeFormat) {
    try {
      format = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
        { dateStyle: "medium", timeStyle: "short" });
    } catch (e) { format = null; }
  }
  for (var n = 0; format && n < times.length; n++) {
    var at = new Date(times[n].getAttribute("datetime"));
    if (!isNaN(at.getTime())) {
      times[n].title = times[n].textContent;
      times[n].textContent = format.format(at);
    }
  }

  // Bring the outcome of an action into view, where the person is looking.
  var notice = document.getElementById("notice");
  if (notice) {
    notice.setAttribute("tabindex", "-1");
    notice.scrollIntoView({ block: "center" });
    notice.focus({ preventScroll: true });
  }

  // Tell the LMS how tall the page is, so it is not trapped in a small scrolled frame.
  var sent = 0;
  function resize() {
    if (window.parent === window) { return; }
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height === sent) { return; }
    sent = height;
    window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
  }
  resize();
  window.addEventListener("load", resize);
  if (window.ResizeObserver) { new ResizeObserver(resize).observe(document.body); }
})();
