/* Referral workspace: small enhancements; every page works without this file. */
(function () {
  "use strict";

  // The letter's print button (hidden until scripts run: without them, use the browser's menu).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // A form sent once: a second click while the first is on its way does nothing (the server
  // also recognises a repeat by the form's one-time key).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    var sent = false;
    form.addEventListener("submit", function (event) {
      var back = event.submitter && event.submitter.hasAttribute("formaction");
      if (back) { return; }
      if (sent) { event.preventDefault(); return; }
      sent = true;
      form.setAttribute("aria-busy", "true");
    });
  });

  // Move focus to the error summary so keyboard and screen-reader users hear it first.
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }

  // The count of chosen needs in each theme of the needs list.
  document.querySelectorAll("details.need-group").forEach(function (group) {
    var count = group.querySelector("[data-count]");
    if (!count) { return; }
    function update() {
      var n = group.querySelectorAll("input[type=checkbox]:checked").length;
      count.hidden = n === 0;
      count.textContent = count.getAttribute("data-template").replace("%n", String(n));
    }
    group.addEventListener("change", update);
    update();
  });
}());
