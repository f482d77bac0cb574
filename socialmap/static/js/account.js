/* Account pages: progressive enhancement only; every form works without this script.
 *
 * 1. Invitation and password-reset links carry their token in the URL fragment
 *    (#token=...), which browsers never send to a server. Copy it into the form's code field,
 *    hide that field, and take the fragment out of the address bar (and so out of the
 *    history and of bookmarks). Without JavaScript the user pastes the code instead.
 * 2. A newly made API token: brought into view (and read out), with a "copy" button.
 */
(function () {
  'use strict';

  var TOKEN = /^[A-Za-z0-9_-]{20,200}$/;

  function tokenFromFragment() {
    var hash = window.location.hash.replace(/^#/, '');
    var value = hash.indexOf('token=') === 0 ? hash.slice('token='.length) : hash;
    try {
      value = decodeURIComponent(value);
    } catch (e) {
      return '';
    }
    return TOKEN.test(value) ? value : '';
  }

  function takeTokenFromFragment() {
    var inputs = document.querySelectorAll('input[data-fragment-token]');
    if (!inputs.length) {
      return;
    }
    var token = tokenFromFragment();
    if (token && window.history && window.history.replaceState) {
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    }
    Array.prototype.forEach.call(inputs, function (input) {
      if (token) {
        input.value = token;
      }
      // A code with an error message stays visible so that it can be corrected.
      if (!input.value || input.getAttribute('aria-invalid') === 'true') {
        return;
      }
      var field = input.closest('.field');
      var note = document.getElementById(input.getAttribute('data-fragment-token'));
      if (field) {
        field.hidden = true;
      }
      if (note) {
        note.hidden = false;
      }
    });
  }

  function enableCopyButtons() {
    var buttons = document.querySelectorAll('button[data-copy]');
    Array.prototype.forEach.call(buttons, function (button) {
      var source = document.getElementById(button.getAttribute('data-copy'));
      var status = button.parentNode.querySelector('.copy-status');
      if (!source || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          if (status) {
            status.textContent = status.getAttribute('data-copied');
          }
        });
      });
    });
  }

  function focusNewToken() {
    var box = document.querySelector('.new-token');
    if (box) {
      box.setAttribute('tabindex', '-1');
      box.focus();
    }
  }

  takeTokenFromFragment();
  enableCopyButtons();
  focusNewToken();
})();
