// Progressive enhancement for /case-studies/: choices apply at once, results update in
// place, the address bar follows (so Back works) and the summary is announced (aria-live).
// Without this file the form is an ordinary GET form with Apply buttons.
(function () {
  "use strict";

  var form = document.getElementById("catalogue");
  if (!form || !window.fetch || !window.history || !window.DOMParser) return;

  var controller = null;

  function queryFromForm() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "") params.append(name, value);
    });
    return params.toString();
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    ["catalogue-filters", "catalogue-results"].forEach(function (id) {
      var fresh = doc.getElementById(id);
      var current = document.getElementById(id);
      if (fresh && current) current.innerHTML = fresh.innerHTML;
    });
    var search = doc.getElementById("id_q");
    if (search) document.getElementById("id_q").value = search.value;
    var feed = doc.querySelector('link[rel="alternate"][type="application/atom+xml"]');
    var currentFeed = document.querySelector('link[rel="alternate"][type="application/atom+xml"]');
    if (feed && currentFeed) currentFeed.href = feed.getAttribute("href");
    document.title = doc.title;
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

  function load(url, push) {
    if (controller) controller.abort();
    controller = new AbortController();
    var focusedId = document.activeElement && document.activeElement.id;
    form.setAttribute("aria-busy", "true");
    return fetch(url, { signal: controller.signal, headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        swap(html);
        if (push) history.pushState({ catalogue: true }, "", url);
        var again = focusedId && document.getElementById(focusedId);
        if (again) again.focus();
      })
      .catch(function (error) {
        if (error.name !== "AbortError") window.location.assign(url);
      })
      .finally(function () { form.removeAttribute("aria-busy"); });
  }

  function apply() {
    var query = queryFromForm();
    load(form.action + (query ? "?" + query : ""), true);
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "compare") {
      // Ticking for comparison changes no results: keep the page, remember it in the URL.
      history.replaceState(history.state, "", withShortlist(window.location.href));
      return;
    }
    if (target.type === "checkbox" || target.tagName === "SELECT") apply();
  });

  form.addEventListener("submit", function (event) {
    // "Compare selected" goes to another page: let the browser submit the form there.
    if (event.submitter && event.submitter.hasAttribute("formaction")) return;
    event.preventDefault();
    apply();
  });

  // Links inside the results (remove a filter, clear all, next page) update in place too.
  form.addEventListener("click", function (event) {
    var link = event.target.closest("a");
    if (!link || link.origin !== window.location.origin) return;
    if (link.pathname !== window.location.pathname) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    load(withShortlist(link.href), true).then(function () {
      if (link.rel === "next" || link.rel === "prev") {
        document.getElementById("result-summary").scrollIntoView();
      }
    });
  });

  window.addEventListener("popstate", function () {
    load(window.location.href, false);
  });

  // The filters apply as they change, so the Apply buttons are only for the no-script page.
  document.documentElement.classList.add("js-catalogue");
})();
