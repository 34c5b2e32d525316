/* The one map (固危废一张图): each point layer is fetched for the part of the map in view (bbox and zoom) and
   comes back clustered by the server (portal/command/map_layers.py), so the page draws a few hundred markers
   whatever the size of the city. Single points open their card in the panel beside the map; clusters zoom in.
   Transfer flows are lines weighted by tonnes; the district boundaries are map-base.js's base layer. */
(function () {
  "use strict";
  var el = document.getElementById("command-map");
  if (!el || typeof WufeiMap === "undefined") { return; }
  var d = el.dataset;
  var layerUrls = JSON.parse(d.layerUrls);
  var labels = JSON.parse(d.labels);
  var base = WufeiMap.create(el, { fillOpacity: 0.04 });
  var map = base.map;
  var panel = document.getElementById("map-card");
  var count = document.getElementById("map-count");
  var groups = {};
  var totals = {};
  var sequence = {};
  var districtLayer = null;

  Object.keys(layerUrls).forEach(function (name) { groups[name] = L.layerGroup(); });
  groups.flows = L.layerGroup();

  WufeiMap.legend(map, d.legendTitle, Object.keys(layerUrls).map(function (name) {
    return ["map-point map-point-" + name, labels[name]];
  }).concat([["map-flow-swatch", labels.flows], ["map-point map-level-high", d.highLabel],
             ["map-point map-level-full", d.fullLabel]])
    .concat(layerUrls.reports ? [["map-point map-point-reports map-level-overdue", d.overdueLabel]] : [])
    .concat([["swatch-district", labels.districts]]));

  function switchOf(name) { return document.querySelector('input[data-layer="' + name + '"]'); }
  function isOn(name) { var box = switchOf(name); return !box || box.checked; }

  // --- the card panel ---------------------------------------------------------------------------------
  function showCard(data) {
    panel.textContent = "";
    var h = document.createElement("h2");
    h.id = "map-card-heading";
    h.textContent = data.title;
    panel.appendChild(h);
    var kind = document.createElement("p");
    kind.className = "muted";
    kind.textContent = data.kind;
    panel.appendChild(kind);
    var dl = document.createElement("dl");
    (data.rows || []).forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    panel.appendChild(dl);
    var ul = document.createElement("ul");
    ul.className = "map-card-links";
    (data.links || []).forEach(function (link) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = link[1];
      a.textContent = link[0];
      li.appendChild(a);
      ul.appendChild(li);
    });
    panel.appendChild(ul);
  }

  function showMessage(text) {
    panel.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    panel.appendChild(p);
  }

  function openCard(layer, id) {
    showMessage(d.loadingLabel);
    var url = d.cardBase + layer + "/" + id + (d.cardQuery ? "?" + d.cardQuery : "");
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { showCard(data); panel.focus({ preventScroll: true }); })
      .catch(function () { showMessage(d.errorLabel); });
  }

  // --- point layers -----------------------------------------------------------------------------------
  // Each layer's markers sit in their own quarter around the place (generators up left, storage up right,
  // facilities down left, reports down right): a works' generator, store and licence never cover each other,
  // and every marker keeps a target of at least 24 px (WCAG 2.5.8).
  var QUARTER = { generators: [1, 1], storage: [0, 1], facilities: [1, 0], reports: [0, 0] };
  function icon(className, name, size) {
    var q = QUARTER[name] || [0.5, 0.5];
    return L.divIcon({ className: className, html: "", iconSize: [size, size], iconAnchor: [q[0] * size, q[1] * size] });
  }

  function marker(name, feature) {
    var c = feature.geometry.coordinates;
    var p = feature.properties;
    var latlng = L.latLng(base.toMap(c[1], c[0]));
    if (p.count > 1) {
      var cluster = L.marker(latlng, {
        icon: icon("map-cluster map-point-" + name, name, 32),
        title: d.clusterLabel.replace("{n}", String(p.count)), alt: String(p.count), keyboard: true
      });
      cluster.on("add", function () { var icon = cluster.getElement(); if (icon) { icon.textContent = String(p.count); } });
      cluster.on("click", function () { map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom())); });
      return cluster;
    }
    var cls = "map-point map-point-" + name + (p.level ? " map-level-" + p.level : "");
    var title = p.name + (p.percent !== undefined && p.percent !== null ? " · " + p.percent + " %" : "");
    var point = L.marker(latlng, {
      icon: icon(cls, name, 24), title: title, alt: title, keyboard: true
    });
    point.on("add", function () {
      var icon = point.getElement();
      if (icon) { icon.dataset.layer = name; icon.dataset.id = String(p.id); }
    });
    point.on("click", function () { openCard(name, p.id); });
    return point;
  }

  function viewQuery() {
    var b = map.getBounds();
    var sw = base.fromMap(b.getSouthWest()), ne = base.fromMap(b.getNorthEast());
    var west = Math.max(-180, sw[1]), east = Math.min(180, ne[1]);
    var south = Math.max(-90, sw[0]), north = Math.min(90, ne[0]);
    return "bbox=" + [west, south, east, north].map(function (v) { return v.toFixed(6); }).join(",") +
           "&zoom=" + Math.round(map.getZoom());
  }

  function showCount() {
    var n = Object.keys(totals).reduce(function (sum, name) { return sum + (isOn(name) ? totals[name] : 0); }, 0);
    count.textContent = d.countLabel.replace("{n}", String(n));
  }

  function loadLayer(name) {
    if (!isOn(name)) { return; }
    var url = layerUrls[name];
    var mine = sequence[name] = (sequence[name] || 0) + 1;
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + viewQuery(),
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (mine !== sequence[name]) { return; }  // a newer view's answer is on its way
        groups[name].clearLayers();
        data.features.forEach(function (f) { groups[name].addLayer(marker(name, f)); });
        totals[name] = data.total;
        el.dataset["loaded" + name.charAt(0).toUpperCase() + name.slice(1)] = String(data.features.length);
        showCount();
      })
      .catch(function () { if (mine === sequence[name]) { count.textContent = d.errorLabel; } });
  }

  var pending = null;
  function reload() {
    clearTimeout(pending);
    pending = setTimeout(function () { Object.keys(layerUrls).forEach(loadLayer); }, 150);
  }

  // --- flows ------------------------------------------------------------------------------------------
  function loadFlows() {
    fetch(d.flowsUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var heaviest = data.features.reduce(function (m, f) { return Math.max(m, parseFloat(f.properties.tonnes)); }, 0);
        data.features.forEach(function (f) {
          var p = f.properties;
          var share = heaviest ? Math.sqrt(parseFloat(p.tonnes) / heaviest) : 0;
          var points = f.geometry.coordinates.map(function (c) { return L.latLng(base.toMap(c[1], c[0])); });
          var line = L.polyline(points, { className: "map-flow", color: "#7a3db8", weight: 2 + 8 * share, opacity: 0.75 });
          line.bindTooltip(p.card.title + " · " + p.card.rows[2][1], { sticky: true });
          line.on("click", function () { showCard(p.card); panel.focus({ preventScroll: true }); });
          groups.flows.addLayer(line);
        });
        el.dataset.loadedFlows = String(data.features.length);
      })
      .catch(function () { count.textContent = d.errorLabel; });
  }

  // --- switches ---------------------------------------------------------------------------------------
  function apply(name) {
    var layer = name === "districts" ? districtLayer : groups[name];
    if (!layer) { return; }
    if (isOn(name)) {
      if (!map.hasLayer(layer)) { map.addLayer(layer); }
      if (layerUrls[name]) { loadLayer(name); }
    } else if (map.hasLayer(layer)) {
      map.removeLayer(layer);
    }
    showCount();
  }

  document.querySelectorAll("input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () { apply(box.dataset.layer); });
  });

  base.ready.then(function (layer) {
    districtLayer = layer;
    Object.keys(groups).forEach(function (name) { if (isOn(name)) { map.addLayer(groups[name]); } });
    apply("districts");
    loadFlows();
    Object.keys(layerUrls).forEach(loadLayer);
    map.on("moveend", reload);
  });
})();
