/* The incident form, enhanced: a click on the district map fills the latitude and longitude fields (WGS-84,
   converted back from the map's datum by map-base.js). Without this script the fields are typed. */
(function () {
  "use strict";
  var form = document.getElementById("incident-form");
  var mapEl = document.getElementById("incident-map");
  if (!form || !mapEl || typeof WufeiMap === "undefined") { return; }
  var lat = form.querySelector("[name=lat]");
  var lon = form.querySelector("[name=lon]");
  mapEl.hidden = false;
  mapEl.setAttribute("role", "region");
  mapEl.setAttribute("aria-label", form.dataset.msgMap);
  var base = WufeiMap.create(mapEl);
  var marker = null;

  function place(la, lo) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    var shown = base.toMap(la, lo);
    if (marker) { marker.setLatLng(shown); } else { marker = L.marker(shown, { keyboard: true }).addTo(base.map); }
  }

  base.ready.then(function () {
    if (lat.value && lon.value) { place(parseFloat(lat.value), parseFloat(lon.value)); }
  });
  base.map.on("click", function (e) {
    var p = base.fromMap(e.latlng);
    place(p[0], p[1]);
  });
}());
