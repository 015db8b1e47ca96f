// The quick exit: the button, or Shift pressed three times within two seconds, ends the
// session on the server, forgets what this site stored, and replaces the page (so the back
// button does not bring it back).
(function () {
  "use strict";
  var button = document.getElementById("quick-exit");
  if (!button) { return; }
  var target = button.getAttribute("data-exit");
  function leave(event) {
    if (event) { event.preventDefault(); }
    try { navigator.sendBeacon(document.getElementById("quick-exit-form").action); } catch (e) {}
    try { window.sessionStorage.clear(); window.localStorage.clear(); } catch (e) {}
    window.location.replace(target);
  }
  button.addEventListener("click", leave);
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) { leave(event); }
  });
})();
