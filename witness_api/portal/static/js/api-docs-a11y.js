// ReDoc renders its content-type and example pickers as <select> elements without a name;
// give each the name of what it picks, as screen readers need (the pages load no other
// script of ours). Runs on every change, since ReDoc renders after loading the schema.
(function () {
  "use strict";
  function label() {
    document.querySelectorAll("select:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", "Choose an example or content type");
    });
  }
  new MutationObserver(label).observe(document.documentElement, { childList: true, subtree: true });
  label();
})();
