// Progressive enhancement for /case-studies/. Without this file the form is an ordinary GET
// form with Apply buttons, every filter shown and a plain "Compare selected" button.
// With it:
// - ticking a filter or choosing a sort order with a pointer applies at once; results update
//   in place and the address bar follows (so Back works);
// - one live region (#catalogue-status), never replaced, says what changed; after a link
//   (a page, a removed filter) focus moves to the results heading instead;
// - on narrow screens the filters fold behind a "Filter" button (GOV.UK's finder pattern);
// - long facets get a box that narrows their options as you type;
// - the compare bar counts the ticked case studies and refuses one too many at once.
(function () {
  "use strict";

  var form = document.getElementById("catalogue");
  if (!form || !window.fetch || !window.history || !window.DOMParser) return;

  var SWAPPED = ["catalogue-summary", "catalogue-facets", "catalogue-results"];
  var status = document.getElementById("catalogue-status");
  var toggle = document.getElementById("filters-toggle");
  var panel = document.getElementById("catalogue-filters");
  var narrow = window.matchMedia("(max-width: 48rem)");
  var controller = null;
  var sortByKeyboard = false;

  function announce(text) {
    // Cleared first so that the same words twice are still heard as news.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function heading() {
    return document.getElementById("result-summary");
  }

  function queryFromForm() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "") params.append(name, value);
    });
    return params.toString();
  }

  // -- In-place updates ----------------------------------------------------------------------

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    // What the reader set up in the filters survives the swap: open sections, finder text.
    var open = {};
    document.querySelectorAll("#catalogue-facets details[id]").forEach(function (details) {
      open[details.id] = details.open;
    });
    var finding = {};
    document.querySelectorAll(".option-finder__input").forEach(function (input) {
      finding[input.id] = input.value;
    });
    SWAPPED.forEach(function (id) {
      var fresh = doc.getElementById(id);
      var current = document.getElementById(id);
      if (fresh && current) current.innerHTML = fresh.innerHTML;
    });
    Object.keys(open).forEach(function (id) {
      var details = document.getElementById(id);
      if (details && open[id]) details.open = true;
    });
    document.querySelectorAll(".option-finder__input").forEach(function (input) {
      if (finding[input.id]) {
        input.value = finding[input.id];
        narrowOptions(input, false);
      }
    });
    var search = doc.getElementById("id_q");
    if (search) document.getElementById("id_q").value = search.value;
    var feed = doc.querySelector('link[rel="alternate"][type="application/atom+xml"]');
    var currentFeed = document.querySelector('link[rel="alternate"][type="application/atom+xml"]');
    if (feed && currentFeed) currentFeed.href = feed.getAttribute("href");
    document.title = doc.title;
    enhance();
  }

  // The compare shortlist: ticked boxes on this page plus those carried from other pages.
  function withShortlist(url) {
    var target = new URL(url, window.location.href);
    target.searchParams.delete("compare");
    new FormData(form).getAll("compare").forEach(function (slug) {
      target.searchParams.append("compare", slug);
    });
    return target.toString();
  }

  // after: "announce" (focus stays where it is, the live region says what changed) or
  // "heading" (focus moves to the results heading, which says it).
  function load(url, push, after) {
    if (controller) controller.abort();
    controller = new AbortController();
    var focusedId = document.activeElement && document.activeElement.id;
    form.setAttribute("aria-busy", "true");
    return fetch(url, { signal: controller.signal, headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        swap(html);
        if (push) history.pushState({ catalogue: true }, "", url);
        if (after === "heading") {
          heading().focus();
          return;
        }
        var again = focusedId && document.getElementById(focusedId);
        if (again) again.focus();
        else if (focusedId) heading().focus();  // the control went away (say, a Sort button)
        announce(heading().textContent);
      })
      .catch(function (error) {
        if (error.name !== "AbortError") window.location.assign(url);
      })
      .finally(function () { form.removeAttribute("aria-busy"); });
  }

  function apply() {
    var query = queryFromForm();
    sortByKeyboard = false;
    return load(form.action + (query ? "?" + query : ""), true, "announce");
  }

  // -- Filters folded behind a button on narrow screens ---------------------------------------

  function setPanel(expanded) {
    toggle.setAttribute("aria-expanded", String(expanded));
    if (expanded) panel.removeAttribute("data-collapsed");
    else panel.setAttribute("data-collapsed", "");
  }

  toggle.hidden = false;
  setPanel(!narrow.matches);
  toggle.addEventListener("click", function () {
    setPanel(toggle.getAttribute("aria-expanded") !== "true");
  });
  narrow.addEventListener("change", function () { setPanel(!narrow.matches); });

  // -- Type to narrow a long facet's options --------------------------------------------------

  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function narrowOptions(input, speak) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var none = input.parentNode.querySelector(".option-finder__none");
    var words = plain(input.value).split(/\s+/).filter(Boolean);
    var matching = 0;
    list.querySelectorAll(".option").forEach(function (option) {
      var box = option.querySelector("input");
      var label = option.querySelector("label").firstChild.textContent;
      var text = plain(label + " " + (option.getAttribute("data-also") || ""));
      var matches = words.every(function (word) { return text.indexOf(word) !== -1; });
      option.hidden = !(matches || box.checked);  // ticked options never hide
      if (matches && !box.checked) matching += 1;
    });
    none.hidden = !(words.length && matching === 0);
    none.textContent = "Nothing else matches “" + input.value.trim() + "”.";
    if (speak) {
      window.clearTimeout(input.announcing);
      input.announcing = window.setTimeout(function () {
        announce(words.length ? matching + " more match “" + input.value.trim() + "”" : "");
      }, 600);
    }
  }

  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("option-finder__input")) narrowOptions(event.target, true);
  });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.classList.contains("option-finder__input")) {
      if (event.key === "Enter") event.preventDefault();  // it only narrows the list
      if (event.key === "Escape" && target.value) {
        target.value = "";
        narrowOptions(target, true);
      }
    }
    if (target.id === "id_sort") sortByKeyboard = true;
  });

  form.addEventListener("pointerdown", function (event) {
    if (event.target.id === "id_sort") sortByKeyboard = false;
  });

  // -- The compare bar ------------------------------------------------------------------------

  function compareBar() {
    return document.getElementById("compare-bar");
  }

  function chosenCount() {
    return new FormData(form).getAll("compare").length;
  }

  function showCompareMessage(text) {
    var message = document.getElementById("compare-message");
    message.textContent = text;
    message.hidden = !text;
  }

  function updateCompareBar() {
    var bar = compareBar();
    if (!bar) return "";
    var count = chosenCount();
    var most = bar.getAttribute("data-most");
    document.getElementById("compare-count").firstChild.textContent = count + " of " + most;
    bar.classList.toggle("compare-bar--active", count > 0);
    return count + " of " + most + " selected to compare";
  }

  function changeShortlist(box) {
    var bar = compareBar();
    var most = Number(bar.getAttribute("data-most"));
    if (box.checked && chosenCount() > most) {
      box.checked = false;
      var refusal = "You can compare up to " + most + " case studies at a time. " +
        "Untick one to choose another.";
      showCompareMessage(refusal);
      announce(refusal);
      return;
    }
    showCompareMessage("");
    announce(updateCompareBar());
    // Ticking for comparison changes no results: keep the page, remember it in the URL.
    history.replaceState(history.state, "", withShortlist(window.location.href));
  }

  // -- Events ---------------------------------------------------------------------------------

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "compare") {
      changeShortlist(target);
      return;
    }
    if (target.type === "checkbox") apply();
    // Arrow keys in a closed select change it at every step: keyboard users choose, then
    // press Sort. A pointer choice is one deliberate pick, so it applies at once.
    if (target.tagName === "SELECT" && !sortByKeyboard) apply();
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.id === "compare-submit") {
      var bar = compareBar();
      var fewest = Number(bar.getAttribute("data-fewest"));
      var count = chosenCount();
      if (count < fewest) {
        event.preventDefault();
        var advice = "Tick at least " + fewest + " case studies to compare (" +
          (count ? "only one is ticked" : "none are ticked") + ").";
        showCompareMessage(advice);
        announce(advice);
      }
      return;  // the comparison is another page: the browser submits the form there
    }
    event.preventDefault();
    apply();
  });

  // Links inside the results (remove a filter, clear all, next page) update in place too.
  form.addEventListener("click", function (event) {
    if (event.target.id === "show-results") {
      setPanel(false);
      heading().focus();
      return;
    }
    var link = event.target.closest("a");
    if (!link || link.origin !== window.location.origin) return;
    if (link.pathname !== window.location.pathname) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    load(withShortlist(link.href), true, "heading");
  });

  window.addEventListener("popstate", function () {
    load(window.location.href, false, "announce");
  });

  // Parts inside the swapped regions that only work with this script.
  function enhance() {
    var show = document.getElementById("show-results");
    if (show) show.hidden = false;
    updateCompareBar();
  }

  enhance();
  // The filters apply as they change, so the Apply filters button is only for the no-script page.
  document.documentElement.classList.add("js-catalogue");
})();
