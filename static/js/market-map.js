/* The supply map: the server sends grid cells of listings and demand (marketplace/listings/supply_map.py);
   here they are clustered once more on the screen, by a grid of CELL_PX pixels that is redrawn at every
   zoom, so that a zoomed-out city shows a few numbered markers instead of hundreds of overlapping ones. */
(function () {
  "use strict";
  var el = document.getElementById("supply-map");
  if (!el || typeof WufeiMap === "undefined") { return; }
  var d = el.dataset;
  var CELL_PX = 56;
  var base = WufeiMap.create(el, { fillOpacity: 0.04 });
  var map = base.map;
  var layer = L.layerGroup().addTo(map);
  var points = [];
  var count = document.getElementById("map-count");

  WufeiMap.legend(map, d.legendTitle, [["market-marker listing", d.listingLabel],
                                       ["market-marker hazardous", d.hazardousLabel],
                                       ["market-marker demand", d.demandLabel],
                                       ["market-marker cluster", d.clusterLabel],
                                       ["swatch-district", d.districtLabel]]);

  function kindOf(props) { return props.kind === "demand" ? "demand" : (props.hazardous ? "hazardous" : "listing"); }

  function popup(group) {
    var box = document.createElement("div");
    var ul = document.createElement("ul");
    ul.className = "map-popup-list";
    var shown = 0, total = 0;
    group.forEach(function (p) {
      total += p.props.count;
      p.props.items.forEach(function (item) {
        if (shown >= 10) { return; }
        shown += 1;
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = item.url;
        a.textContent = item.title;
        li.appendChild(a);
        var extra = [item.available, item.price, item.organisation].filter(Boolean).join(" · ");
        if (extra) { li.appendChild(document.createTextNode(" — " + extra)); }
        ul.appendChild(li);
      });
    });
    box.appendChild(ul);
    if (total > shown) {
      var more = document.createElement("p");
      more.textContent = d.moreLabel.replace("{n}", String(total - shown));
      box.appendChild(more);
    }
    return box;
  }

  function marker(latlng, group, kind) {
    var total = group.reduce(function (n, p) { return n + p.props.count; }, 0);
    var mixed = group.some(function (p) { return kindOf(p.props) !== kind; });
    var cls = "market-marker " + (mixed ? "cluster" : kind);
    var m = L.marker(latlng, {
      icon: L.divIcon({ className: cls, html: "", iconSize: [28, 28] }),
      title: String(total), alt: String(total), keyboard: true
    });
    m.on("add", function () {
      var icon = m.getElement();
      if (icon) { icon.textContent = String(total); }
    });
    if (mixed && map.getZoom() < map.getMaxZoom()) {
      m.on("click", function () { map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom())); });
    } else {
      m.bindPopup(popup(group));
    }
    return m;
  }

  function redraw() {
    layer.clearLayers();
    var cells = {};
    points.forEach(function (p) {
      var px = map.project(p.latlng, map.getZoom());
      var key = Math.floor(px.x / CELL_PX) + ":" + Math.floor(px.y / CELL_PX);
      (cells[key] = cells[key] || []).push(p);
    });
    Object.keys(cells).forEach(function (key) {
      var group = cells[key];
      var lat = 0, lng = 0;
      group.forEach(function (p) { lat += p.latlng.lat; lng += p.latlng.lng; });
      layer.addLayer(marker(L.latLng(lat / group.length, lng / group.length), group, kindOf(group[0].props)));
    });
  }

  base.ready.then(function () {
    return fetch(d.pointsUrl, { headers: { "Accept": "application/json" } });
  }).then(function (r) { return r.json(); }).then(function (data) {
    var demand = 0;
    points = (data.features || []).map(function (f) {
      if (f.properties.kind === "demand") { demand += f.properties.count; }
      var c = f.geometry.coordinates;
      return { latlng: L.latLng(base.toMap(c[1], c[0])), props: f.properties };
    });
    count.textContent = d.countLabel.replace("{listings}", String(data.listings)).replace("{demand}", String(demand));
    redraw();
    map.on("zoomend", redraw);
  });
})();
