// The staff panel's one behaviour HTML cannot give: a polled thread stays where the reader is.
(function () {
  "use strict";

  var atBottom = true;

  function thread() {
    return document.getElementById("phone-thread");
  }

  function toBottom() {
    var box = thread();
    if (box) box.scrollTop = box.scrollHeight;
  }

  // Before the refresh swaps the bubbles: is the reader at the newest message?
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var box = thread();
    if (box && event.detail.target === box) {
      atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    }
  });

  // After it: follow new messages only when the reader was at the bottom, else keep their place.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === thread() && atBottom) toBottom();
  });

  document.addEventListener("DOMContentLoaded", toBottom);
  toBottom();
})();
