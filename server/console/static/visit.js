// The visit page: small comforts only; every form works without this file.
"use strict";
(function () {
  // Typing a value of one's own picks the "another value" choice of that conflict.
  document.querySelectorAll("[data-custom-for]").forEach(function (input) {
    input.addEventListener("input", function () {
      var radio = document.getElementById(input.getAttribute("data-custom-for"));
      if (radio) { radio.checked = true; }
    });
    input.addEventListener("change", function () {
      var radio = document.getElementById(input.getAttribute("data-custom-for"));
      if (radio) { radio.checked = true; }
    });
  });
  // Rejecting without a comment: say so before the round trip (the server refuses it anyway).
  var reject = document.querySelector("[data-testid=reject]");
  var comment = document.getElementById("decision-comment");
  if (reject && comment) {
    reject.addEventListener("click", function (event) {
      if (!comment.value.trim()) {
        event.preventDefault();
        comment.setAttribute("aria-invalid", "true");
        comment.focus();
      }
    });
    comment.addEventListener("input", function () { comment.removeAttribute("aria-invalid"); });
  }
})();
