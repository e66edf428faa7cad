// The admin's autocomplete (select2) draws its own combobox, named by the selected value only,
// so an empty one has no accessible name. Give each the text of its field's <label>.
(function () {
  "use strict";

  function nameComboboxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var wrapper = select.nextElementSibling;
      if (!label || !wrapper) return;
      var name = label.textContent.replace(/:\s*$/, "").trim();
      wrapper.querySelectorAll(".select2-selection, .select2-selection__rendered, .select2-search__field").forEach(function (el) {
        el.setAttribute("aria-label", name);
      });
    });
  }

  // Django's autocomplete starts on jQuery's ready; "load" comes after it.
  window.addEventListener("load", function () { nameComboboxes(document); });
  document.addEventListener("formset:added", function (event) { nameComboboxes(event.target); });
})();
