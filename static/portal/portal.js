// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    var status = document.getElementById(field.getAttribute("aria-describedby"));
    var done = function (ok) {
      button.textContent = ok ? "Copied" : "Copy";
      if (status) status.textContent = ok ? "Copied to the clipboard." : "Select the key and copy it (Ctrl+C / ⌘C).";
      if (ok) setTimeout(function () { button.textContent = "Copy"; }, 2000);
    };
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(document.execCommand("copy")); });
    } else {
      done(document.execCommand("copy"));
    }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
})();
