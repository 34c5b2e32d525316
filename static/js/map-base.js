/* What every public map shares: the district boundaries as the base layer (no tile server needed, the
   platform may run on an intranet), an optional tile layer of a government map service configured on
   the server (MAP_TILE_URL), the WGS-84 → GCJ-02 shift when that service draws in GCJ-02
   (MAP_TILE_GCJ02), point-in-district for a chosen point, and a legend.
   Our data is WGS-84 throughout: toMap() converts a point for drawing, fromMap() converts a click back. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  // The published GCJ-02 forward formula (Krasovsky 1940 ellipsoid), as in portal/regulatory/geo.py.
  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function outOfChina(lat, lon) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function deltaLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }

  function deltaLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }

  function wgsToGcj(lat, lon) {
    if (outOfChina(lat, lon)) { return [lat, lon]; }
    var dLat = deltaLat(lon - 105.0, lat - 35.0);
    var dLon = deltaLon(lon - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI;
    var magic = 1 - EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lon + dLon];
  }

  function gcjToWgs(lat, lon) {
    // the offset varies slowly: a few fixed-point steps invert the formula well below 0.1 m
    var w = [lat, lon];
    for (var i = 0; i < 30; i++) {
      var g = wgsToGcj(w[0], w[1]);
      var dLat = lat - g[0], dLon = lon - g[1];
      w = [w[0] + dLat, w[1] + dLon];
      if (Math.abs(dLat) < 1e-9 && Math.abs(dLon) < 1e-9) { break; }
    }
    return w;
  }

  // --- point in polygon over GeoJSON [lon, lat] rings (even-odd rule) -------------------------------
  function inRing(lat, lon, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function inGeometry(lat, lon, geometry) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.some(function (rings) {
      return inRing(lat, lon, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(lat, lon, hole); });
    });
  }

  function districtAt(data, lat, lon) {
    for (var i = 0; i < data.features.length; i++) {
      var f = data.features[i];
      if (inGeometry(lat, lon, f.geometry)) { return String(f.properties.adcode); }
    }
    return null;
  }

  // --- the map ---------------------------------------------------------------------------------------
  function create(el, options) {
    var d = el.dataset;
    var gcj = d.tileGcj02 === "1" && !!d.tileUrl;
    var map = L.map(el, { attributionControl: !!d.tileUrl }).setView([34.55, 111.2], 8);
    if (d.tileUrl) {
      L.tileLayer(d.tileUrl, { attribution: d.tileAttribution || "", maxZoom: 18 }).addTo(map);
    }
    var self = {
      map: map,
      districts: null,
      toMap: function (lat, lon) { return gcj ? wgsToGcj(lat, lon) : [lat, lon]; },
      fromMap: function (latlng) { return gcj ? gcjToWgs(latlng.lat, latlng.lng) : [latlng.lat, latlng.lng]; },
      districtAt: function (lat, lon) { return self.districts ? districtAt(self.districts, lat, lon) : null; }
    };
    self.ready = fetch(d.districtsUrl).then(function (r) { return r.json(); }).then(function (data) {
      self.districts = data;
      var layer = L.geoJSON(data, {
        coordsToLatLng: function (c) { return L.latLng(self.toMap(c[1], c[0])); },
        style: { color: "#084d2a", weight: 2, fillOpacity: (options && options.fillOpacity) || 0.06 },
        onEachFeature: function (feature, l) { l.bindTooltip(feature.properties.name, { sticky: true }); }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      return layer;
    });
    return self;
  }

  /* A legend: items are [className, label]; each swatch is a span styled by the stylesheet. */
  function legend(map, title, items) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "map-legend");
      var heading = L.DomUtil.create("p", "map-legend-title", box);
      heading.textContent = title;
      var list = L.DomUtil.create("ul", "", box);
      items.forEach(function (item) {
        var li = L.DomUtil.create("li", "", list);
        L.DomUtil.create("span", "map-legend-swatch " + item[0], li).setAttribute("aria-hidden", "true");
        li.appendChild(document.createTextNode(item[1]));
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  window.WufeiMap = { create: create, legend: legend, wgsToGcj: wgsToGcj, gcjToWgs: gcjToWgs };
})();
