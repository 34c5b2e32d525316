/* The report form, enhanced: a pin on the district map, "use my location", the place a photo was
   taken as a suggestion, and reports already made nearby. Without this script the form still works
   with the district and address fields. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || typeof WufeiMap === "undefined") { return; }
  var d = form.dataset;
  var lat = form.querySelector("[name=lat]");
  var lon = form.querySelector("[name=lon]");
  var statusEl = document.getElementById("place-status");
  var nearbyEl = document.getElementById("nearby");
  var mapEl = document.getElementById("report-map");
  var tools = form.querySelector(".map-tools");
  var csrf = form.querySelector("[name=csrf_token]");

  mapEl.hidden = false;
  tools.hidden = false;
  mapEl.setAttribute("role", "region");
  mapEl.setAttribute("aria-label", d.msgMap);

  // The base layer is the district boundaries (map-base.js); a configured tile service may lie beneath.
  var base = WufeiMap.create(mapEl);
  var map = base.map;
  var marker = null;
  var district = form.querySelector("[name=district_code]");

  base.ready.then(function () {
    // a click on a district bubbles up to the map (Leaflet's bubblingMouseEvents), so one handler serves both
    if (lat.value && lon.value) { place(parseFloat(lat.value), parseFloat(lon.value), d.msgPin); }
  });
  map.on("click", pick);
  WufeiMap.legend(map, d.msgLegend, [["swatch-district", d.msgLegendDistrict], ["swatch-pin", d.msgLegendPin]]);

  function pick(e) {
    var p = base.fromMap(e.latlng);
    place(p[0], p[1], d.msgPin);
  }

  function fmt(message, la, lo) {
    return message.replace("{lat}", la.toFixed(6)).replace("{lon}", lo.toFixed(6));
  }

  function place(la, lo, message) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    var shown = base.toMap(la, lo);
    if (marker) { marker.setLatLng(shown); } else {
      marker = L.marker(shown, { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () {
        var p = base.fromMap(marker.getLatLng());
        place(p[0], p[1], d.msgPin);
      });
    }
    map.setView(shown, Math.max(map.getZoom(), 13));
    // the server decides the district from the point too; choosing it here shows the reporter at once
    var code = base.districtAt(la, lo);
    if (code && district.querySelector("option[value='" + code + "']")) { district.value = code; }
    statusEl.textContent = fmt(message, la, lo) + (code ? "" : " " + d.msgOutside);
    showNearby();
  }

  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { statusEl.textContent = d.msgNoLocation; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      place(pos.coords.latitude, pos.coords.longitude, d.msgLocated);
    }, function () { statusEl.textContent = d.msgNoLocation; }, { enableHighAccuracy: true, timeout: 10000 });
  });

  var photos = form.querySelector("[name=photos]");
  photos.addEventListener("change", function () {
    if (!photos.files.length || lat.value) { return; }
    var body = new FormData();
    body.append("csrf_token", csrf ? csrf.value : "");
    body.append("photo", photos.files[0]);
    fetch(d.locationUrl, { method: "POST", body: body, headers: { "Accept": "application/json" },
                           credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.lat !== null && data.lon !== null && !lat.value) {
          place(data.lat, data.lon, d.msgPhoto);
        }
      });
  });

  var category = form.querySelector("[name=category]");
  category.addEventListener("change", showNearby);

  function showNearby() {
    if (!lat.value || !lon.value) { return; }
    var url = d.nearbyUrl + "?lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value) +
      "&category=" + encodeURIComponent(category.value);
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        nearbyEl.textContent = "";
        if (!data.items.length) { return; }
        var p = document.createElement("p");
        p.textContent = d.msgNearby;
        var ul = document.createElement("ul");
        data.items.forEach(function (item) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = item.url;
          a.textContent = item.code + " — " + item.status;
          li.appendChild(a);
          ul.appendChild(li);
        });
        nearbyEl.appendChild(p);
        nearbyEl.appendChild(ul);
      });
  }
})();
