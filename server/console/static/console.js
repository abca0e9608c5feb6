// Tekseru console: comfort only. Every action works without this file (plain forms).
"use strict";

(function () {
  // A form marked data-confirm asks before it is sent (the text is in the attribute, already translated).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click sends a form once: its submit buttons wait for the answer.
    if (form.method.toLowerCase() === "post") {
      window.setTimeout(function () {
        form.querySelectorAll('button[type="submit"], input[type="submit"]').forEach(function (button) {
          button.disabled = true;
          button.setAttribute("data-sending", "");
        });
      }, 0);
    }
  });

  // Back from the browser's page cache: the buttons of a sent form work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-sending]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-sending");
    });
  });
})();
