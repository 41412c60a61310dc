/* The portal's only script, and an optional one: every page works without it.
 * A step that moves money or cannot be undone opens its dialog (Bootstrap's modal) before the
 * form is sent; the dialog's own button sends it with confirmed=1. Without this script the
 * server asks on a page of its own. */
"use strict";

document.addEventListener("submit", function (event) {
  var form = event.target;
  var dialogId = form.getAttribute("data-confirm-dialog");
  if (!dialogId || !window.bootstrap) {
    return;
  }
  var submitter = event.submitter;
  if (submitter && submitter.name === "confirmed" && submitter.value === "1") {
    return;
  }
  var dialog = document.getElementById(dialogId);
  if (!dialog) {
    return;
  }
  event.preventDefault();
  window.bootstrap.Modal.getOrCreateInstance(dialog).show();
});
