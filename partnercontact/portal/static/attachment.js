// A file past the limit is refused before it is sent: sent, the whole request would be cut
// off at the server, and the message written beside it with it.
(function () {
  "use strict";
  var input = document.querySelector("input[type=file][data-max-bytes]");
  var note = document.getElementById("attachment-too-large");
  if (!input || !note) { return; }
  var max = parseInt(input.getAttribute("data-max-bytes"), 10);
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    var tooLarge = !!file && file.size > max;
    note.hidden = !tooLarge;
    if (tooLarge) { input.value = ""; }
  });
})();
