/* Amparo: a filter box for long checkbox lists (templates/_searchable_choices.html).
   Without JavaScript the list scrolls and works as is; this only hides what does not match.
   Matching ignores case and accents; ticked options always stay shown. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function enhance(fieldset) {
    var box = fieldset.querySelector(".filter");
    var input = fieldset.querySelector("[data-filter]");
    var status = fieldset.querySelector("[data-matches]");
    var labels = Array.prototype.slice.call(fieldset.querySelectorAll("[data-options] label"));
    if (!box || !input || !status) { return; }
    box.hidden = false;
    var texts = labels.map(function (label) { return fold(label.textContent); });

    function apply() {
      var query = fold(input.value);
      var shown = 0;
      labels.forEach(function (label, i) {
        var checked = label.querySelector("input").checked;
        var match = !query || texts[i].indexOf(query) !== -1;
        label.hidden = !(match || checked);
        if (match) { shown += 1; }
      });
      if (!query) { status.textContent = ""; return; }
      var message = shown === 0 ? status.dataset.none : shown === 1 ? status.dataset.one : status.dataset.many;
      status.textContent = message.replace("__N__", String(shown));
    }

    input.addEventListener("input", apply);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  // filtering never submits the form
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-searchable]"), enhance);
})();
