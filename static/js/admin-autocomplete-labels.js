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

  // Django's autocomplete starts on jQuery's ready, which can come after "load": name the
  // comboboxes once both have run, and again whenever select2 redraws one (it makes a new
  // search field for a multiple choice at each change).
  window.addEventListener("load", function () {
    nameComboboxes(document);
    window.setTimeout(function () { nameComboboxes(document); }, 0);
    if (window.django && window.django.jQuery) {
      window.django.jQuery(document).on("select2:select select2:unselect select2:close", function () {
        nameComboboxes(document);
      });
    }
  });
  document.addEventListener("formset:added", function (event) { nameComboboxes(event.target); });
})();
