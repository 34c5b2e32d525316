// Progressive enhancement of a county-level division code field (input[data-division-picker]): three
// selects, province → prefecture → county, filled from GET /api/v1/divisions. The chosen county's code is
// written into the code field, which stays visible and editable, so the form posts the same field with or
// without JavaScript (and a code typed by hand still works).
(function () {
  "use strict";

  function fetchDivisions(query) {
    return fetch("/api/v1/divisions?page_size=100&" + query, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (body) { return body.items; });
  }

  function makeSelect(input, name, label) {
    var wrapper = document.createElement("label");
    wrapper.className = "division-picker-level";
    wrapper.textContent = label + " ";
    var select = document.createElement("select");
    select.name = "";  // never posted: the code field is what the form sends
    select.setAttribute("data-level", name);
    select.disabled = true;
    wrapper.appendChild(select);
    return { wrapper: wrapper, select: select };
  }

  function fill(select, items, placeholder) {
    select.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = placeholder;
    select.appendChild(first);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.textContent = item.name;
      option.setAttribute("data-level", item.level);
      select.appendChild(option);
    });
    select.disabled = items.length === 0;
  }

  function init(input) {
    var data = input.dataset;
    var box = document.createElement("div");
    box.className = "division-picker";
    var province = makeSelect(input, "province", data.labelProvince);
    var city = makeSelect(input, "city", data.labelCity);
    var county = makeSelect(input, "county", data.labelCounty);
    [province, city, county].forEach(function (part) { box.appendChild(part.wrapper); });
    input.parentNode.insertBefore(box, input);

    fetchDivisions("level=province").then(function (items) { fill(province.select, items, data.labelChoose); });
    province.select.addEventListener("change", function () {
      fill(county.select, [], data.labelChoose);
      if (!province.select.value) { fill(city.select, [], data.labelChoose); return; }
      fetchDivisions("parent=" + province.select.value).then(function (items) {
        fill(city.select, items, data.labelChoose);
      });
    });
    city.select.addEventListener("change", function () {
      var chosen = city.select.selectedOptions[0];
      // a prefecture-level city without counties (东莞, 中山, 儋州) is itself the county-level unit
      if (chosen && chosen.getAttribute("data-level") === "county") {
        input.value = chosen.value;
        fill(county.select, [], data.labelChoose);
        return;
      }
      if (!city.select.value) { fill(county.select, [], data.labelChoose); return; }
      fetchDivisions("parent=" + city.select.value).then(function (items) {
        fill(county.select, items, data.labelChoose);
      });
    });
    county.select.addEventListener("change", function () {
      if (county.select.value) input.value = county.select.value;
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-division-picker]"), init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
