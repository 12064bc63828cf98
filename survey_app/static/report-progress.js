// Report job page: poll the job's status, move the <progress> bar, reload when it is finished.
// Report view: a "print" button. No inline script (CSP script-src 'self'); text via textContent.
(function () {
  "use strict";
  var printButton = document.getElementById("print-report");
  if (printButton && window.print) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }

  var job = document.getElementById("job");
  if (!job || job.dataset.finished !== "false" || !job.dataset.statusUrl || !window.fetch) {
    return;
  }
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var message = document.getElementById("job-message");
  var delay = 1000;
  // Numbers as the page writes them (services/formatting.py): the page's language, no decimals.
  var whole = new Intl.NumberFormat(document.documentElement.lang || "vi",
                                    {maximumFractionDigits: 0});

  function show(state) {
    var value = Math.min(Math.max(Number(state.progress) || 0, 0), 1);
    var text = whole.format(value * 100) + "%";
    if (bar) { bar.value = value; bar.textContent = text; }
    if (percent) { percent.textContent = text; }
    if (message && state.message) { message.textContent = state.message; }
  }

  function poll() {
    fetch(job.dataset.statusUrl, {credentials: "same-origin",
                                  headers: {"Accept": "application/json"}})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (state) {
        if (!state) { delay = Math.min(delay * 2, 10000); }
        else if (state.finished) { show(state); window.location.reload(); return; }
        else { show(state); delay = 1000; }
        window.setTimeout(poll, delay);
      })
      .catch(function () {  // offline for a moment: try again, less often
        delay = Math.min(delay * 2, 10000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
