// The dashboard's month trend as an ECharts line chart (static/vendor/echarts). The table below it stays: it is
// the chart's text for screen readers and what shows without JavaScript.
(function () {
  "use strict";

  function draw() {
    var box = document.getElementById("dash-trend-chart");
    if (!box || !box.dataset.trend || !window.echarts) return;
    var trend = JSON.parse(box.dataset.trend);
    box.hidden = false;
    var chart = window.echarts.init(box);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: trend.months },
      yAxis: { type: "value", name: "t" },
      series: trend.series.map(function (s) {
        return { name: s.name, type: "line", smooth: false, data: s.tonnes.map(Number) };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
