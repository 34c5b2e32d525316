/* The big screen: scales the 1920×1080 wall to the window, polls its data endpoint and draws the charts.
   When the server does not answer (a restart), the wall keeps the last data, says it is reconnecting and
   tries again at the next tick: it never reloads itself. A click on a district opens that district's wall. */
(function () {
  "use strict";
  var wall = document.getElementById("screen");
  if (!wall || typeof echarts === "undefined") { return; }

  var WIDTH = 1920, HEIGHT = 1080;
  var FONT = getComputedStyle(wall).fontFamily;
  var labels = JSON.parse(wall.dataset.labels);
  var pollMs = parseInt(wall.dataset.pollMs, 10) || 30000;
  var charts = {};
  var last = null;       // the last data the server answered
  var drawn = null;      // the data the charts show, as JSON: a poll that brings nothing new redraws nothing
  var geo = null;        // the district boundaries shown (the city's, or the one district's)
  var seenActivity = {}; // ledger event ids already on the wall, to mark the new ones

  // --- scaling -----------------------------------------------------------------------------------

  function scale() {
    return Math.min(window.innerWidth / WIDTH, window.innerHeight / HEIGHT);
  }

  function fit() {
    var s = scale();
    wall.style.transform = "translate(" + (window.innerWidth - WIDTH * s) / 2 + "px," +
      (window.innerHeight - HEIGHT * s) / 2 + "px) scale(" + s + ")";
    // the canvases are drawn at the wall's size times the screen's pixels, so a 4K wall stays sharp
    Object.keys(charts).forEach(function (id) { charts[id].dispose(); });
    charts = {};
    ["chart-rate", "chart-map", "chart-gauges", "chart-reports", "chart-trend"].forEach(function (id) {
      charts[id] = echarts.init(document.getElementById(id), null,
        { devicePixelRatio: (window.devicePixelRatio || 1) * s, renderer: "canvas" });
    });
    charts["chart-map"].on("click", drillDown);
    drawn = null;
    if (last) { draw(last); }
  }

  // --- polling -----------------------------------------------------------------------------------

  function poll() {
    fetch(wall.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) { last = data; setStatus(true); draw(data); }, function () { setStatus(false); })
      .then(function () { window.setTimeout(poll, pollMs); });
  }

  function setStatus(live) {
    var status = document.getElementById("status");
    status.className = "status-dot " + (live ? "live" : "offline");
    status.textContent = live ? labels.live : labels.offline;
  }

  function loadGeo() {
    return fetch(wall.dataset.geo).then(function (response) { return response.json(); }).then(function (all) {
      var code = wall.dataset.division;
      var features = all.features.filter(function (f) {
        return String(f.properties.adcode) === code;
      });
      geo = { type: "FeatureCollection", features: features.length ? features : all.features };
      echarts.registerMap("wall", geo);
    }, function () {
      return new Promise(function (resolve) { window.setTimeout(resolve, pollMs); }).then(loadGeo);
    });
  }

  // --- drawing -----------------------------------------------------------------------------------

  function draw(data) {
    document.getElementById("updated").textContent = data.updated_at;
    var shown = JSON.stringify(Object.assign({}, data, { updated_at: null, mapReady: !!geo }));
    if (shown === drawn) { return; }
    drawn = shown;
    text("kpi-generated", tonnes(data.totals.generated));
    text("kpi-utilised", tonnes(data.totals.utilised));
    text("kpi-disposed", tonnes(data.totals.disposed));
    text("kpi-alerts", String(data.alerts.open));
    if (data.cases_overdue !== undefined) { text("kpi-cases", String(data.cases_overdue)); }
    drawStreams(data.streams);
    drawCodes(data.codes);
    drawTicker(data.alerts);
    drawActivity(data.activity);
    charts["chart-rate"].setOption(rateOption(data.totals), true);
    charts["chart-gauges"].setOption(gaugesOption(data.facilities), true);
    charts["chart-reports"].setOption(reportsOption(data.reports), true);
    charts["chart-trend"].setOption(trendOption(data.trend), true);
    if (geo) { charts["chart-map"].setOption(mapOption(data), true); }
  }

  function text(id, value) { document.getElementById(id).textContent = value; }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function tonnes(value) { return Number(value).toLocaleString(undefined, { maximumFractionDigits: 1 }); }

  function drawStreams(streams) {
    var list = document.getElementById("streams");
    list.replaceChildren.apply(list, streams.map(function (s) {
      var item = element("li");
      item.append(element("span", "stream-name", s.label), element("span", "stream-value", tonnes(s.generated)),
        element("span", "stream-detail", labels.utilised + " " + tonnes(s.utilised) + " · " +
          labels.disposed + " " + tonnes(s.disposed)));
      return item;
    }));
  }

  function drawCodes(codes) {
    var body = document.getElementById("codes");
    var rows = codes.map(function (c) {
      var row = element("tr");
      row.append(element("th", null, c.code), element("td", null, tonnes(c.generated)), element("td", null, tonnes(c.received)));
      row.firstChild.scope = "row";
      return row;
    });
    if (!rows.length) {
      var none = element("td", null, labels.no_data);
      none.colSpan = 3;
      rows = [element("tr")];
      rows[0].append(none);
    }
    body.replaceChildren.apply(body, rows);
  }

  function drawTicker(alerts) {
    var list = document.getElementById("ticker");
    var rows = alerts.items ? alerts.items.map(function (a) {
      // text, not links: rows of a scaled-down wall are too small to tap; the heading opens the alerts inbox
      var item = element("li");
      item.append(element("span", "sev sev-" + a.severity, a.severity_label), element("time", null, a.time),
                  element("span", null, a.text));
      return item;
    }) : alerts.by_severity.map(function (s) {
      var item = element("li");
      item.append(element("span", "sev sev-" + s.severity, s.label), element("span", null, String(s.count)));
      return item;
    });
    if (!rows.length) { rows = [element("li", null, labels.no_data)]; }
    list.replaceChildren.apply(list, rows);
  }

  function drawActivity(events) {
    var list = document.getElementById("activity");
    var first = Object.keys(seenActivity).length === 0;
    var rows = events.map(function (e) {
      var item = element("li", first || seenActivity[e.id] ? null : "fresh");
      item.dataset.event = e.id;
      seenActivity[e.id] = true;
      item.append(element("time", null, e.time), element("span", null, e.district),
        element("span", null, e.event + " " + e.code + (e.tonnes === null ? "" : " " + tonnes(e.tonnes) + " " + labels.tonnes)));
      return item;
    });
    if (!rows.length) { rows = [element("li", null, labels.no_data)]; }
    list.replaceChildren.apply(list, rows);
  }

  var AXIS = { axisLine: { lineStyle: { color: "#3a6ea5" } }, axisLabel: { color: "#c9dcf5", fontSize: 15, fontFamily: FONT },
               splitLine: { lineStyle: { color: "rgba(58,110,165,.35)" } } };

  function empty(message) {
    return { title: { text: message, left: "center", top: "middle", textStyle: { color: "#9db6d6", fontSize: 18, fontFamily: FONT } } };
  }

  function rateOption(totals) {
    var rate = totals.utilisation_rate === null ? 0 : Number(totals.utilisation_rate);
    return { series: [{ type: "gauge", startAngle: 210, endAngle: -30, min: 0, max: 100, radius: "95%",
      progress: { show: true, width: 18, itemStyle: { color: "#3ee0b0", shadowBlur: 12, shadowColor: "#3ee0b0" } },
      axisLine: { lineStyle: { width: 18, color: [[1, "rgba(41,197,246,.18)"]] } },
      axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false }, pointer: { show: false },
      title: { show: true, offsetCenter: [0, "45%"], color: "#9db6d6", fontSize: 16, fontFamily: FONT },
      detail: { valueAnimation: true, offsetCenter: [0, "0%"], fontSize: 46, fontWeight: 700, color: "#fff",
                formatter: totals.utilisation_rate === null ? "—" : "{value}%" },
      data: [{ value: rate, name: labels.rate }] }] };
  }

  function gaugesOption(facilities) {
    if (!facilities.length) { return empty(labels.no_facility); }
    var width = 100 / facilities.length;
    var nameWidth = Math.floor(400 / facilities.length);
    return { series: facilities.map(function (f, i) {
      var colour = f.used_pct >= 90 ? "#ff5d6c" : f.used_pct >= 70 ? "#ffc24b" : "#29c5f6";
      return { type: "gauge", center: [(width * i + width / 2) + "%", "48%"], radius: Math.min(width * 2.1, 46) + "%",
        min: 0, max: 100, startAngle: 220, endAngle: -40, splitNumber: 4,
        progress: { show: true, width: 10, itemStyle: { color: colour } },
        axisLine: { lineStyle: { width: 10, color: [[1, "rgba(41,197,246,.18)"]] } },
        axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false }, pointer: { show: false },
        title: { offsetCenter: [0, "86%"], color: "#c9dcf5", fontSize: 15, fontFamily: FONT, width: nameWidth, overflow: "truncate" },
        detail: { offsetCenter: [0, "0%"], fontSize: 22, fontWeight: 700, color: "#fff", formatter: "{value}%" },
        data: [{ value: f.used_pct, name: f.name }] };
    }) };
  }

  function reportsOption(reports) {
    if (!reports.length) { return empty(labels.no_data); }
    var names = reports.map(function (r) { return r.name; });
    return { grid: { left: 50, right: 16, top: 34, bottom: 30 },
      legend: { top: 0, right: 0, textStyle: { color: "#c9dcf5", fontSize: 14, fontFamily: FONT } },
      xAxis: Object.assign({ type: "category", data: names }, AXIS),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
      series: [
        { name: labels.reports, type: "bar", barWidth: 16, data: reports.map(function (r) { return r.total; }),
          itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: "#29c5f6" }, { offset: 1, color: "#1d5fa8" }]) } },
        { name: labels.open_reports, type: "bar", barWidth: 16, data: reports.map(function (r) { return r.open; }),
          itemStyle: { color: "#ffc24b" } }] };
  }

  function trendOption(trend) {
    var months = trend.months.map(function (m) { return m.slice(5) + "/" + m.slice(2, 4); });
    return { grid: { left: 60, right: 16, top: 34, bottom: 30 },
      legend: { top: 0, right: 0, textStyle: { color: "#c9dcf5", fontSize: 14, fontFamily: FONT } },
      xAxis: Object.assign({ type: "category", data: months, boundaryGap: false }, AXIS),
      yAxis: Object.assign({ type: "value" }, AXIS),
      series: [
        { name: trend.names.generated, type: "line", symbolSize: 6, data: trend.generated.map(Number),
          lineStyle: { width: 3, color: "#29c5f6" }, itemStyle: { color: "#29c5f6" },
          areaStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: "rgba(41,197,246,.45)" }, { offset: 1, color: "rgba(41,197,246,0)" }]) } },
        { name: trend.names.utilised, type: "line", symbolSize: 6, data: trend.utilised.map(Number),
          lineStyle: { width: 3, color: "#3ee0b0" }, itemStyle: { color: "#3ee0b0" } }] };
  }

  // --- the map -----------------------------------------------------------------------------------

  function bounds() {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    function walk(c) {
      if (typeof c[0] === "number") {
        box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
        box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
      } else { c.forEach(walk); }
    }
    geo.features.forEach(function (f) { walk(f.geometry.coordinates); });
    return box;
  }

  // Receivers outside the city have no place on this map: their flows end on a strip right of the boundary,
  // one point per receiver, spread from north to south.
  function placeOutside(flows, box) {
    var outside = flows.filter(function (f) { return f.outside; });
    var edge = box[2] + (box[2] - box[0]) * 0.1;
    outside.forEach(function (f, i) {
      f.to = [edge, box[3] - (box[3] - box[1]) * (i + 1) / (outside.length + 1)];
    });
    return edge;
  }

  function mapOption(data) {
    var box = bounds();
    var flows = data.flows.filter(function (f) { return f.from; }).map(function (f) { return Object.assign({}, f); });
    var edge = placeOutside(flows, box);
    flows = flows.filter(function (f) { return f.to; });
    var heaviest = Math.max.apply(null, flows.map(function (f) { return Number(f.tonnes); }).concat([1]));
    var values = data.districts.map(function (d) { return { name: d.name, value: Number(d.generated), code: d.code }; });
    var top = Math.max.apply(null, values.map(function (v) { return v.value; }).concat([1]));
    var targets = {};
    flows.forEach(function (f) { targets[f.to_name] = f; });
    return {
      geo: { map: "wall", roam: false, left: 8, right: 8, top: 8, bottom: 8,
        boundingCoords: [[box[0], box[3]], [edge + (box[2] - box[0]) * 0.35, box[1]]],
        label: { show: true, color: "#e6f1ff", fontSize: 17, fontFamily: FONT },
        itemStyle: { areaColor: "#0d3a70", borderColor: "#29c5f6", borderWidth: 1.5, shadowColor: "#29c5f6", shadowBlur: 10 },
        emphasis: { label: { color: "#fff" }, itemStyle: { areaColor: "#1d6fc0" } } },
      visualMap: { min: 0, max: top, left: 10, bottom: 10, calculable: false, seriesIndex: 0, itemHeight: 120,
        text: [tonnes(top) + " " + labels.tonnes, "0"], textStyle: { color: "#c9dcf5", fontFamily: FONT },
        inRange: { color: ["#0d3a70", "#1565b5", "#1fa4d8"] } },
      series: [
        { type: "map", geoIndex: 0, data: values },
        { type: "lines", coordinateSystem: "geo", zlevel: 2,
          effect: { show: true, period: 5, trailLength: 0.3, symbol: "arrow", symbolSize: 8, color: "#fff" },
          lineStyle: { color: "#3ee0b0", opacity: 0.8, curveness: 0.25 },
          data: flows.map(function (f) {
            return { coords: [f.from, f.to], lineStyle: { width: 1.5 + 8 * Number(f.tonnes) / heaviest,
              color: f.outside ? "#ffc24b" : "#3ee0b0" } };
          }) },
        { type: "effectScatter", coordinateSystem: "geo", zlevel: 3, rippleEffect: { scale: 3, brushType: "stroke" },
          symbolSize: 12, itemStyle: { color: "#ffc24b" },
          label: { show: true, position: "right", color: "#ffe3a3", fontSize: 14, fontFamily: FONT, formatter: "{b}",
                   textBorderColor: "#040d1f", textBorderWidth: 3 },
          data: Object.keys(targets).map(function (name) {
            var f = targets[name];
            // a receiver outside the city is labelled above its point, so the label stays on the wall
            return f.outside ? { name: name + "（" + labels.outside + "）", value: f.to, label: { position: "top" } }
              : { name: name, value: f.to };
          }) }] };
  }

  function drillDown(params) {
    var name = params.name;
    var district = last && last.districts.filter(function (d) { return d.name === name; })[0];
    if (district && district.code !== wall.dataset.division) {
      window.location.href = wall.dataset.page + "?division=" + encodeURIComponent(district.code);
    }
  }

  // --- the clock ---------------------------------------------------------------------------------

  function tick() {
    var now = new Date();
    var china = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
      { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" });
    var time = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    text("clock-date", china.format(now));
    text("clock-time", time.format(now));
  }

  function start() {
    fit();
    tick();
    window.setInterval(tick, 1000);
    window.addEventListener("resize", fit);
    loadGeo().then(function () { if (last) { draw(last); } });
    poll();
  }

  // the charts measure their text: draw once the wall's Chinese font is there (or has failed to come)
  var ready = document.fonts && document.fonts.load ? document.fonts.load("16px " + FONT, "三门峡").catch(function () {}) : Promise.resolve();
  ready.then(start);
}());
