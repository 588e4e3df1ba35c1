// The console works without JavaScript; this file only spares reloads.
// Nothing here submits a form or navigates on a change: a keyboard user
// moving through a drop-down with the arrow keys stays where they are.
(function () {
  "use strict";

  // Buttons that only re-render the form for a browser without JavaScript
  // (data-nojs) are hidden: the page follows the changes itself.
  function hideNoJS(root) {
    root.querySelectorAll("[data-nojs]").forEach(function (el) { el.hidden = true; });
  }

  // Price book items: "Bill devices by category" shows the three category
  // drop-downs of each application billed by device category, or its single
  // one. Both stay in the form, so that toggling keeps what was chosen.
  function showMode(box) {
    var on = box.checked;
    document.querySelectorAll("tr").forEach(function (row) {
      var cats = row.querySelector("[data-categories]");
      var single = row.querySelector("[data-single]");
      if (!cats || !single) return;
      cats.hidden = !on;
      single.hidden = on;
    });
  }

  // Accounts: the agreements of the chosen account replace the row's
  // agreement list (a fragment of the console), and the row records which
  // account they belong to.
  function loadAgreements(sel) {
    var row = sel.getAttribute("data-row");
    var agr = document.getElementById("agreement-" + row);
    var shown = document.querySelector('input[name="shown.' + row + '"]');
    if (!agr || !shown) return;
    var url = "accounts/agreements?account=" + encodeURIComponent(sel.value);
    var want = sel.value;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        if (sel.value !== want) return; // a later choice is on its way
        agr.innerHTML = html;
        shown.value = want;
        announce("Agreements of the chosen account listed.");
      })
      .catch(function () {
        announce("The agreements could not be listed; use Show agreements of the chosen accounts.");
        var btn = document.getElementById("refresh");
        if (btn) btn.hidden = false;
      });
  }

  // announce puts a message in the page's live region.
  function announce(msg) {
    var region = document.getElementById("live");
    if (region) region.textContent = msg;
  }

  // Status page: the element with data-poll is replaced every data-every
  // seconds by the same part of a fresh copy of the page (data-poll's URL),
  // unless the keyboard focus is inside it.
  function poll(el) {
    var every = Math.max(2, parseInt(el.getAttribute("data-every"), 10) || 10) * 1000;
    setInterval(function () {
      if (document.hidden || el.contains(document.activeElement)) return;
      fetch(el.getAttribute("data-poll"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(el.id);
          if (fresh) el.innerHTML = fresh.innerHTML;
        })
        .catch(function () {});
    }, every);
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el.hasAttribute) return;
    if (el.hasAttribute("data-mode")) showMode(el);
    if (el.hasAttribute("data-agreements")) loadAgreements(el);
  });

  function init() {
    hideNoJS(document);
    var box = document.querySelector("[data-mode]");
    if (box) showMode(box);
    document.querySelectorAll("[data-poll]").forEach(poll);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
