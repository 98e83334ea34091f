// Intake and transfer pages: inline checks of the booking form and progress of uploads.
// Every page works without this file; it only adds feedback while htmx talks to the server.
(function () {
  "use strict";

  // The booking form is checked on every change (htmx). The server shows an error only for the
  // fields the officer has changed, listed in the hidden "touched" field; this runs before htmx
  // sends the form (capture phase).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    var form = el && el.form;
    if (!form || !form.hasAttribute("data-validate") || !el.name || el.name === "touched") { return; }
    var touched = form.querySelector("input[name='touched']");
    if (!touched) { return; }
    var names = touched.value ? touched.value.split(",") : [];
    if (names.indexOf(el.name) < 0) {
      names.push(el.name);
      touched.value = names.join(",");
    }
  }, true);

  // After the inline check replaced an error line, mark its field invalid (or valid again).
  function syncInvalid(slot) {
    if (!slot || !slot.id || !slot.classList.contains("error-slot")) { return; }
    var fields = document.querySelectorAll("[aria-describedby~='" + slot.id + "']");
    var bad = slot.textContent.trim() !== "";
    for (var i = 0; i < fields.length; i++) {
      if (bad) { fields[i].setAttribute("aria-invalid", "true"); } else { fields[i].removeAttribute("aria-invalid"); }
    }
  }
  document.addEventListener("htmx:oobAfterSwap", function (ev) {
    syncInvalid(ev.detail && ev.detail.target);
  });
  document.addEventListener("htmx:afterSettle", function () {
    var slots = document.querySelectorAll(".error-slot[id]");
    for (var i = 0; i < slots.length; i++) { syncInvalid(slots[i]); }
  });

  // Upload progress: a form with data-progress="<id of a <progress>>" shows the bytes sent, then
  // an indeterminate bar (and the data-done-text words) while the server checks the file.
  document.addEventListener("htmx:xhr:progress", function (ev) {
    var form = ev.target;
    var id = form && form.getAttribute && form.getAttribute("data-progress");
    var bar = id && document.getElementById(id);
    if (!bar || bar.getAttribute("data-done") === "1" || !ev.detail.lengthComputable || !ev.detail.total) { return; }
    if (ev.detail.loaded >= ev.detail.total) {
      bar.setAttribute("data-done", "1");
      bar.removeAttribute("value");
      var label = bar.labels && bar.labels[0];
      if (label && bar.getAttribute("data-done-text")) {
        if (!label.hasAttribute("data-text")) { label.setAttribute("data-text", label.textContent); }
        label.textContent = bar.getAttribute("data-done-text");
      }
    } else {
      bar.value = Math.round(100 * ev.detail.loaded / ev.detail.total);
    }
  });
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var form = ev.target;
    var id = form && form.getAttribute && form.getAttribute("data-progress");
    var bar = id && document.getElementById(id);
    if (bar) {
      bar.removeAttribute("data-done");
      bar.value = 0;
      var label = bar.labels && bar.labels[0];
      if (label && label.getAttribute("data-text")) { label.textContent = label.getAttribute("data-text"); }
    }
  });
})();
