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
  // the funding ratio, checked as the amounts are typed (the server checks it again)
  function ratio() {
    var box = document.querySelector("fieldset.funding");
    var hint = document.getElementById("ratio-hint");
    if (!box || !hint) { return; }
    var e = parseFloat(document.getElementById("f-enterprise_funds").value);
    var f = parseFloat(document.getElementById("f-fiscal_support").value);
    var re = parseFloat(box.getAttribute("data-re")), rf = parseFloat(box.getAttribute("data-rf"));
    if (isNaN(e) || isNaN(f) || f <= 0) { return; }
    var ok = e * rf >= f * re;
    hint.textContent = "企业 : 财政 = " + (e / f).toFixed(2) + " : 1，" +
      (ok ? "符合要求" : "低于 " + re + ":" + rf + "，请调整");
    hint.className = ok ? "ratio-hint" : "ratio-hint field-error";
  }
  document.addEventListener("input", function (ev) {
    if (ev.target && (ev.target.id === "f-enterprise_funds" || ev.target.id === "f-fiscal_support")) { ratio(); }
  });
  // 统计仪表盘: each .chart carries its categories and series (JSON in data attributes, written
  // by the server); ECharts draws them as SVG, so the labels are text in the page. The table
  // beside each chart holds the same numbers.
  function charts() {
    if (!window.echarts) { return; }
    document.querySelectorAll(".chart[data-labels]").forEach(function (el) {
      var labels = JSON.parse(el.getAttribute("data-labels"));
      var series = JSON.parse(el.getAttribute("data-series"));
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        aria: { enabled: false },
        tooltip: { trigger: "axis" },
        legend: { show: series.length > 1, top: 0 },
        grid: { left: 8, right: 16, top: series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: labels, inverse: true },
        series: series.map(function (s) {
          return { name: s.name, type: "bar", data: s.values, label: { show: true, position: "right" } };
        })
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    setInterval(tick, 60000);
    charts();
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
