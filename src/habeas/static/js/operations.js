// The site map and the count screen: small enhancements over plain links and forms.
(function () {
  "use strict";
  // A refused count line (422) comes back as the line with its error: show it in place.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var status = ev.detail.xhr && ev.detail.xhr.status;
    var elt = ev.detail.requestConfig && ev.detail.requestConfig.elt;
    if (status === 422 && elt && elt.closest && elt.closest("[data-swap-errors]")) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });
  // The site map: mark the cell whose people the side panel shows.
  document.addEventListener("htmx:afterRequest", function (ev) {
    var elt = ev.detail.elt;
    if (!elt || !elt.matches || !elt.matches("a.cell") || !ev.detail.successful) { return; }
    var chosen = document.querySelectorAll("a.cell.chosen");
    for (var i = 0; i < chosen.length; i++) { chosen[i].classList.remove("chosen"); chosen[i].removeAttribute("aria-current"); }
    elt.classList.add("chosen");
    elt.setAttribute("aria-current", "true");
  });
  // The count screen: Enter in a place's number submits that place alone; once it is counted,
  // the next place's number has the focus.
  var lastLine = null;
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (ev.key !== "Enter" || !el.matches || !el.matches("input.observed")) { return; }
    var button = el.closest("tbody").querySelector("button[name=only]");
    if (button && window.htmx) { ev.preventDefault(); button.click(); }
  });
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt;
    if (elt && elt.matches && elt.matches(".count-lines button")) { lastLine = elt.closest("tbody").id; }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!lastLine) { return; }
    var line = document.getElementById(lastLine);
    lastLine = null;
    if (!line) { return; }
    var again = line.querySelector("[aria-invalid=true]") || line.querySelector("input.observed");
    if (again) { again.focus(); return; }
    var next = line.nextElementSibling;
    while (next && !next.querySelector("input.observed")) { next = next.nextElementSibling; }
    if (next) { next.querySelector("input.observed").focus(); }
  });
})();
