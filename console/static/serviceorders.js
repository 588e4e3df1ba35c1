// The Service orders tab: leaving a section whose changes are not saved (a
// bulk edit applied, a row changed, the defaults shown) asks first. The first
// click on a link shows a warning in the page's messages (a live region) and
// stays; a second click on the same link leaves without saving.
(function () {
  var form = document.getElementById("serviceorders-form");
  if (!form) return;
  var staged = form.hasAttribute("data-staged");
  var warned = null;
  function edited(ev) {
    var name = ev.target && ev.target.name;
    // Selecting rows and choosing bulk settings stage nothing until Edit.
    if (!name || name.indexOf("sel.") === 0 || name.indexOf("bulk.") === 0) return;
    staged = true;
  }
  form.addEventListener("change", edited);
  form.addEventListener("input", edited);
  document.addEventListener("click", function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest("a[href]") : null;
    if (!a || !staged || a === warned) return;
    ev.preventDefault();
    warned = a;
    var box = document.getElementById("messages");
    var p = document.getElementById("leave-warning");
    if (!p) {
      p = document.createElement("p");
      p.id = "leave-warning";
      p.className = "error";
      (box || form).appendChild(p);
    }
    var where = a.getAttribute("aria-label") || a.textContent.trim();
    p.textContent = "This section has changes that are not saved. Click Save changes to keep them, " +
      "or follow the link to " + where + " again to leave without saving them.";
  });
})();
