// The web panel's few behaviours that HTML alone cannot give (no inline scripts, no framework).
(function () {
  "use strict";

  // Enter sends a message, Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!field.matches || !field.matches("textarea[data-enter-submits]")) return;
    event.preventDefault();
    if (field.value.trim() && field.form) field.form.requestSubmit();
  });

  // A form with data-confirm asks first (an inline onsubmit would break the CSP).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function scrollThread() {
    var thread = document.getElementById("thread-messages");
    if (thread) thread.scrollTop = thread.scrollHeight;
  }

  // The server says "message-sent" (HX-Trigger) once it stored the message: clear the composer.
  document.body.addEventListener("message-sent", function () {
    var composer = document.getElementById("composer");
    if (!composer) return;
    composer.reset();
    var errors = document.getElementById("composer-errors");
    if (errors) errors.textContent = "";
    var field = composer.querySelector("textarea");
    if (field) field.focus();
  });

  document.body.addEventListener("htmx:afterSwap", scrollThread);
  document.addEventListener("DOMContentLoaded", scrollThread);
  scrollThread();
})();
