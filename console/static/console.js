// killswitch console: refreshes the overview's live section every few
// seconds until paused. Everything works without this script; it only
// saves reloading the page by hand.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var toggle = document.getElementById("refresh-toggle");
  if (!live || !toggle) { return; }
  var every = Number(live.getAttribute("data-refresh-ms")) || 10000;
  var status = document.getElementById("refresh-status");
  var paused = false;
  toggle.hidden = false;
  function say(text) { if (status) { status.textContent = text; } }
  function refresh() {
    if (paused) { return; }
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (res) {
        if (res.redirected) { throw new Error("your sign-in ended; reload the page to sign in"); }
        if (!res.ok) { throw new Error("HTTP " + res.status); }
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("live");
        if (next) {
          live.innerHTML = next.innerHTML;
          say("Updated " + new Date().toISOString().slice(11, 19) + "Z.");
        }
      })
      .catch(function (err) { say("Refresh failed: " + err.message + "."); });
  }
  var timer = setInterval(refresh, every);
  toggle.addEventListener("click", function () {
    paused = !paused;
    toggle.setAttribute("aria-pressed", paused ? "true" : "false");
    toggle.textContent = paused ? "Resume auto-refresh" : "Pause auto-refresh";
    say(paused ? "Auto-refresh paused." : "Auto-refresh resumed.");
    if (!paused) { refresh(); }
  });
  void timer;
}());
