// The last page of an LTI Dynamic Registration: tells the LMS that the registration is over
// (LTI Dynamic Registration 1.0, §3.6), so that it closes the window or frame it opened and
// refreshes its tool list. The message carries nothing but its subject, hence the "*" target
// origin the spec prescribes.
(function () {
  "use strict";
  var target = window.opener || window.parent;
  if (target && target !== window) {
    target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
