// Provider listing form: a day marked "closed" folds away its hours (the server ignores them
// anyway, so the form works the same without this script).
(function () {
  "use strict";
  function sync(box) {
    var day = box.closest("fieldset.day");
    if (!day) return;
    day.querySelectorAll(".slot input").forEach(function (input) {
      input.disabled = box.checked;
    });
    day.classList.toggle("is-closed", box.checked);
  }
  document.querySelectorAll("fieldset.day input[type=checkbox][name$='-closed']").forEach(function (box) {
    sync(box);
    box.addEventListener("change", function () { sync(box); });
  });
})();
