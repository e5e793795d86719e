/* Quick exit, as in the GOV.UK "Exit this page" pattern: pressing Shift three times within
   1.5 seconds submits the quick-exit form in the page header, as its button does. The server
   ends the session and answers with a neutral page. Without this script the button still works.
   Ours, no dependencies; loaded with defer from our own origin (the CSP allows nothing inline). */
(function () {
  "use strict";

  var PRESSES = 3;
  var WITHIN_MS = 1500;
  var HIDDEN = "quick-exit-leaving";

  var form = document.getElementById("quick-exit");
  if (!form) {
    return;
  }
  var pressedAt = [];
  var leaving = false;

  // Blank the page at once, before the server has answered: nothing stays on screen, and a
  // copy of this page kept for the Back button is kept blank.
  function hidePage() {
    document.documentElement.classList.add(HIDDEN);
  }

  function leave() {
    if (leaving) {
      return;
    }
    leaving = true;
    hidePage();
    form.submit();
  }

  form.addEventListener("submit", hidePage);

  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") {
      pressedAt = []; // Shift as part of typing (a capital letter) never counts
      return;
    }
    var now = Date.now();
    pressedAt = pressedAt.filter(function (time) {
      return now - time < WITHIN_MS;
    });
    pressedAt.push(now);
    if (pressedAt.length >= PRESSES) {
      leave();
    }
  });

  // A page brought back from the browser's back-forward cache is not asked of the server
  // again: ask now, so that a page left by quick exit (or signed out since) shows nothing.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      hidePage();
      window.location.reload();
    }
  });
})();
