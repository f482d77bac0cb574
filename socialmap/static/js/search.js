// The public directory, progressively enhanced: every part works without this file.
// - suggestions for "what" (an ARIA 1.2 combobox over GET /api/search/suggest)
// - "near me": the browser's position (rounded to ~100 m) into hidden lat/lon fields
// - the filters fold away on narrow screens
// - the print button of a shared list
(function () {
  "use strict";

  function suggestions(input) {
    var box = input.closest(".combobox");
    var list = document.getElementById("f-q-list");
    var status = document.getElementById("f-q-status");
    if (!box || !list || !window.fetch) return;
    var url = box.dataset.suggestUrl;
    var lang = box.dataset.lang || "nl";
    var options = [];
    var active = -1;
    var timer = null;
    var latest = 0;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function announce(count) {
      if (!status) return;
      if (count === 0) status.textContent = "";
      else if (count === 1) status.textContent = status.dataset.one;
      else status.textContent = status.dataset.many.replace("{n}", String(count));
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      options.forEach(function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      input.value = options[index].dataset.value;
      close();
      input.focus();
    }

    function show(items) {
      list.textContent = "";
      options = items.map(function (item, i) {
        var li = document.createElement("li");
        li.id = "f-q-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.value = item.label;
        li.textContent = item.label;
        if (item.kind === "organization") li.className = "is-organization";
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the field
          choose(i);
        });
        list.appendChild(li);
        return li;
      });
      active = -1;
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      announce(options.length);
    }

    function load() {
      var prefix = input.value.trim();
      if (prefix.length < 2) {
        close();
        announce(0);
        return;
      }
      var ticket = ++latest;
      var query = "?prefix=" + encodeURIComponent(prefix) + "&lang=" + encodeURIComponent(lang) + "&size=8";
      fetch(url + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (items) {
          if (ticket === latest && document.activeElement === input) show(items || []);
        })
        .catch(function () { /* suggestions are optional */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 150);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) { load(); return; }
        event.preventDefault();
        highlight(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // choose; a second Enter searches
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function nearMe(form) {
    var button = form.querySelector("[data-near-me]");
    var place = form.querySelector("#f-place");
    var status = document.getElementById("f-near-me-status");
    if (!place) return;

    function setCoordinate(name, value) {
      var field = form.querySelector("input[type=hidden][name=" + name + "]");
      if (value === null) {
        if (field) field.remove();
        return;
      }
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = name;
        form.appendChild(field);
      }
      field.value = value;
    }

    // Typing a place replaces the position.
    place.addEventListener("input", function () {
      setCoordinate("lat", null);
      setCoordinate("lon", null);
      if (status) status.textContent = "";
    });

    if (!button || !navigator.geolocation || !window.isSecureContext) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (status) status.textContent = button.dataset.busy;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          // About 100 m: enough to sort by distance, no more than needed.
          setCoordinate("lat", position.coords.latitude.toFixed(3));
          setCoordinate("lon", position.coords.longitude.toFixed(3));
          place.value = "";
          form.submit();
        },
        function () {
          button.disabled = false;
          if (status) status.textContent = button.dataset.denied;
          place.focus();
        },
        { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
      );
    });
  }

  function foldingFilters(button) {
    var form = document.getElementById(button.getAttribute("aria-controls"));
    if (!form || !window.matchMedia) return;
    var narrow = window.matchMedia("(max-width: 47.99rem)");

    function set(expanded) {
      form.hidden = !expanded;
      button.setAttribute("aria-expanded", expanded ? "true" : "false");
      button.textContent = expanded ? button.dataset.hide : button.dataset.show;
    }

    function fit() {
      button.hidden = !narrow.matches;
      set(!narrow.matches);
    }

    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    if (narrow.addEventListener) narrow.addEventListener("change", fit);
    fit();
  }

  function printing() {
    var button = document.querySelector("[data-print]");
    if (!button || !window.print) return;
    button.hidden = false;
    document.querySelectorAll("[data-print-hint]").forEach(function (hint) { hint.hidden = true; });
    button.addEventListener("click", function () { window.print(); });
  }

  var q = document.getElementById("f-q");
  if (q) suggestions(q);
  var form = document.getElementById("search-form");
  if (form) nearMe(form);
  var toggle = document.querySelector(".filters-toggle");
  if (toggle) foldingFilters(toggle);
  printing();
})();
