// The review queue's keyboard and select-all: comfort only, the page works without it.
// j/k next/previous row, o or Enter open, x select, a approve the selected rows (after a confirm).
"use strict";

(function () {
  var form = document.getElementById("approve-form");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-href]"));
  var all = document.getElementById("select-all");
  var current = -1;

  function boxes() {
    return rows.map(function (row) { return row.querySelector('input[name="pick"]'); });
  }

  function checked() {
    return boxes().filter(function (box) { return box && box.checked; }).length;
  }

  function syncAll() {
    if (!all) return;
    var n = checked();
    all.checked = n > 0 && n === rows.length;
    all.indeterminate = n > 0 && n < rows.length;
  }

  function focusRow(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    var link = rows[current].querySelector("a.open");
    if (link) link.focus();
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function confirmApprove() {
    var n = checked();
    if (n === 0) return false;
    var text = (form.getAttribute("data-confirm-text") || "").replace("{n}", String(n));
    return window.confirm(text);
  }

  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { if (box) box.checked = all.checked; });
      all.indeterminate = false;
    });
    form.addEventListener("change", function (event) {
      if (event.target !== all) syncAll();
    });
  }

  // The button asks as well as the key: a decision never leaves without a yes.
  form.addEventListener("submit", function (event) {
    if (!confirmApprove()) {
      event.preventDefault();
      event.stopPropagation();
    }
  });

  rows.forEach(function (row, i) {
    row.addEventListener("focusin", function () {
      current = i;
      rows.forEach(function (r, j) { r.classList.toggle("current", j === i); });
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" && target.type !== "checkbox") return;
    if (tag === "select" || tag === "textarea" || (target && target.isContentEditable)) return;
    var key = event.key;
    if (key === "j") {
      focusRow(current + 1);
    } else if (key === "k") {
      focusRow(current < 0 ? 0 : current - 1);
    } else if (key === "o" || (key === "Enter" && tag !== "a" && tag !== "button" && current >= 0)) {
      if (current < 0) return;
      window.location.href = rows[current].getAttribute("data-href");
    } else if (key === "x") {
      if (current < 0) return;
      var box = rows[current].querySelector('input[name="pick"]');
      if (box) {
        box.checked = !box.checked;
        syncAll();
      }
    } else if (key === "a") {
      if (confirmApprove()) {
        // The form's own submit handler would ask again; this was the answer.
        HTMLFormElement.prototype.submit.call(form);
      }
    } else {
      return;
    }
    event.preventDefault();
  });
})();
