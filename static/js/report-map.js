/* The public map of reports: district boundaries and one marker per public report (open in red,
   closed in green, each also labelled in its popup). The list page carries the same data without a map. */
(function () {
  "use strict";
  var el = document.getElementById("public-map");
  if (!el || typeof WufeiMap === "undefined") { return; }
  var d = el.dataset;
  var base = WufeiMap.create(el, { fillOpacity: 0.05 });
  var map = base.map;
  var count = document.getElementById("map-count");
  WufeiMap.legend(map, d.legendTitle, [["report-marker open", d.openLabel], ["report-marker closed", d.closedLabel],
                                       ["swatch-district", d.districtLabel]]);

  fetch(d.reportsUrl).then(function (r) { return r.json(); }).then(function (data) {
    L.geoJSON(data, {
      coordsToLatLng: function (c) { return L.latLng(base.toMap(c[1], c[0])); },
      pointToLayer: function (feature, latlng) {
        var open = feature.properties.open;
        return L.marker(latlng, {
          icon: L.divIcon({ className: "report-marker " + (open ? "open" : "closed"), iconSize: [14, 14] }),
          title: feature.properties.code + " " + feature.properties.status,
          alt: feature.properties.code
        });
      },
      onEachFeature: function (feature, layer) {
        var box = document.createElement("div");
        var a = document.createElement("a");
        a.href = feature.properties.url;
        a.textContent = feature.properties.code;
        box.appendChild(a);
        var p = document.createElement("p");
        p.textContent = feature.properties.category + " — " + feature.properties.status + " (" +
          (feature.properties.open ? d.openLabel : d.closedLabel) + ")";
        box.appendChild(p);
        layer.bindPopup(box);
      }
    }).addTo(map);
    count.textContent = data.features.length + "";
  });
})();
