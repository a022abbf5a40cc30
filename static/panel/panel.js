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

  // A polled thread (a reply awaited, or a human answering) is swapped every few seconds: keep the
  // reader where they were unless they were at the newest message.
  var threadAt = null;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var thread = document.getElementById("thread-messages");
    if (!thread || event.detail.target !== thread) { threadAt = null; return; }
    threadAt = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40 ? null : thread.scrollTop;
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    var thread = document.getElementById("thread-messages");
    if (thread && threadAt !== null) thread.scrollTop = threadAt;
    else scrollThread();
    threadAt = null;
  });
  document.addEventListener("DOMContentLoaded", scrollThread);
  scrollThread();
})();
