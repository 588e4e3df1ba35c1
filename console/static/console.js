// Staged editing helpers: a drop-down or toggle marked data-refresh re-renders
// the form with its current (unsaved) values, so that for instance the
// agreement list follows the chosen account. Without JavaScript the Refresh
// buttons do the same.
document.addEventListener("change", function (ev) {
  var el = ev.target;
  if (!el.hasAttribute || !el.hasAttribute("data-refresh") || !el.form) return;
  var btn = el.form.querySelector("#refresh");
  if (btn) el.form.requestSubmit(btn);
});
