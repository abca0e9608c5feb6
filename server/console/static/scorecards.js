// Tekseru console, scorecards: comfort only. Without this file a reload shows a job's progress and
// every checkbox is ticked by hand.
"use strict";

(function () {
  // A running build job: poll its progress and move the bar; when it ends, show the final page.
  var job = document.querySelector("[data-progress-url]");
  if (job && job.getAttribute("data-running") === "yes") {
    var url = job.getAttribute("data-progress-url");
    var bar = job.querySelector("progress");
    var status = job.querySelector("[data-testid=job-status]");
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (answer) {
          if (!answer.ok) throw new Error("progress: " + answer.status);
          return answer.json();
        })
        .then(function (view) {
          bar.max = view.total;
          bar.value = view.processed;
          bar.textContent = view.percent + "%";
          job.querySelectorAll("[data-field]").forEach(function (el) {
            el.textContent = view[el.getAttribute("data-field")] || "";
          });
          status.textContent = view.status_text;
          if (view.running) {
            window.setTimeout(poll, 700);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          // A lost connection: try again a little later (a reload shows the progress as well).
          window.setTimeout(poll, 3000);
        });
    };
    window.setTimeout(poll, 500);
  }

  // The list: one checkbox ticks every draft's.
  var all = document.getElementById("select-all");
  var form = document.getElementById("publish-form");
  if (all && form) {
    var picks = form.querySelectorAll('input[name="pick"]');
    if (picks.length) {
      all.hidden = false;
      all.addEventListener("change", function () {
        picks.forEach(function (box) {
          box.checked = all.checked;
        });
      });
    }
  }
})();
