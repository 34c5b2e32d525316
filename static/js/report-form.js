/* The report form, enhanced: a pin on the district map, "use my location", the place a photo was
   taken as a suggestion, and reports already made nearby. Without this script the form still works
   with the district and address fields. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || typeof L === "undefined") { return; }
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

  // No tile server: the platform may run on an intranet, so the map shows the district boundaries only.
  var map = L.map(mapEl, { attributionControl: false }).setView([34.55, 111.2], 8);
  var marker = null;

  fetch(d.districtsUrl).then(function (r) { return r.json(); }).then(function (data) {
    var layer = L.geoJSON(data, { style: { color: "#084d2a", weight: 2, fillOpacity: 0.08 } }).addTo(map);
    map.fitBounds(layer.getBounds());
    layer.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, d.msgPin); });
  });
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, d.msgPin); });

  function fmt(message, la, lo) {
    return message.replace("{lat}", la.toFixed(6)).replace("{lon}", lo.toFixed(6));
  }

  function place(la, lo, message) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (marker) { marker.setLatLng([la, lo]); } else {
      marker = L.marker([la, lo], { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        place(p.lat, p.lng, d.msgPin);
      });
    }
    map.setView([la, lo], Math.max(map.getZoom(), 13));
    statusEl.textContent = fmt(message, la, lo);
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
