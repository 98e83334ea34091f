// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // A <select data-navigate="/prefix/"> goes to prefix + value when changed.
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-navigate]")) {
      window.location.assign(el.getAttribute("data-navigate") + encodeURIComponent(el.value));
    }
  });
  // An error page sent to an htmx request (a refused upload, a page that is not allowed) replaces
  // the main area, instead of nothing happening.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var xhr = ev.detail.xhr;
    if (xhr && xhr.getResponseHeader("X-Habeas-Error-Page") === "1") {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    var main = document.getElementById("main");
    if (main && ev.detail.xhr && ev.detail.xhr.getResponseHeader("X-Habeas-Error-Page") === "1") { main.focus(); }
  });
  // Move focus to the main content after an htmx swap into it (screen readers hear the change).
  document.addEventListener("htmx:afterSwap", function (ev) {
    var roots = [ev.detail.elt, ev.detail.target];
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      if (!root || !root.isConnected) { continue; }
      var focus = root.matches && root.matches("[data-autofocus]") ? root : root.querySelector("[data-autofocus]");
      if (focus) { focus.focus(); return; }
    }
  });
})();
