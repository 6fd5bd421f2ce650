// The last page of an LTI Dynamic Registration: tells the LMS that the registration is over
// (LTI Dynamic Registration 1.0, §3.6), so that it closes the window or frame it opened and
// refreshes its tool list. The message carries nothing but its subject, hence the "*" target
// origin the spec prescribes. When the page has steps left for the administrator (Moodle's),
// it is sent when they press the page's close button, so that they can read them first.
(function () {
  "use strict";
  var target = window.opener || window.parent;
  function close() {
    if (target && target !== window) {
      target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  var button = document.querySelector("[data-close-when-read]");
  if (button) {
    button.addEventListener("click", close);
  } else {
    close();
  }
})();
