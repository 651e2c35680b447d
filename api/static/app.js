// Enhancements only: every page works without this file. Countdowns tick once a minute from the
// deadline the server wrote into the page (data-deadline, RFC 3339).
(function () {
  "use strict";
  function text(ms) {
    if (ms <= 0) { return "已截止"; }
    var m = Math.floor(ms / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
    if (d > 0) { return "剩余 " + d + " 天 " + h + " 小时"; }
    if (h > 0) { return "剩余 " + h + " 小时 " + (m % 60) + " 分"; }
    return "剩余 " + Math.max(1, m) + " 分钟";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("data-deadline"));
      if (!isNaN(t)) { el.textContent = text(t - now); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    setInterval(tick, 60000);
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
