// The waste-code picker: suggestions under every input marked data-waste-code-picker, searched by code
// (900-214-08 or 90021408), category (HW08), or words of the name. Progressive enhancement: without
// JavaScript the input stays a plain text field the server validates. The input becomes an ARIA combobox
// (arrow keys move through the suggestions, Enter takes one, Escape closes them). With
// data-waste-code-picker="multiple" the input holds a comma-separated list and a choice replaces the code
// being typed. The endpoint and the translated texts come from this script's own data attributes.
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script && script.dataset.endpoint;
  var texts = {
    found: (script && script.dataset.found) || "%(n)s suggestions",
    none: (script && script.dataset.none) || "No waste code matches.",
    hazardous: (script && script.dataset.hazardous) || "hazardous"
  };
  var counter = 0;

  function currentTerm(input, multiple) {
    if (!multiple) return input.value.trim();
    var parts = input.value.split(/[,，]/);
    return parts[parts.length - 1].trim();
  }

  function applyChoice(input, multiple, code) {
    if (!multiple) {
      input.value = code;
      return;
    }
    var parts = input.value.split(/[,，]/).map(function (p) { return p.trim(); });
    parts[parts.length - 1] = code;
    input.value = parts.filter(function (p) { return p; }).join(", ") + ", ";
  }

  function setUp(input) {
    var multiple = input.dataset.wasteCodePicker === "multiple";
    var id = "wcp-" + (++counter);
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    input.parentElement.classList.add("picker");

    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      applyChoice(input, multiple, options[index].dataset.code);
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(results) {
      list.textContent = "";
      options = results.map(function (entry, i) {
        var option = document.createElement("li");
        option.id = id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.code = entry.code;
        var code = document.createElement("span");
        code.className = "mono";
        code.textContent = entry.code;
        var name = document.createElement("span");
        name.textContent = " " + entry.description;
        var category = document.createElement("span");
        category.className = "muted";
        category.textContent = " · " + entry.category + " " + entry.category_name +
          (entry.hazardous ? " · " + texts.hazardous : "");
        option.append(code, name, category);
        // mousedown, not click: the input must not lose focus (and close the list) before the choice counts
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(option);
        return option;
      });
      active = -1;
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      status.textContent = options.length ? texts.found.replace("%(n)s", options.length) : texts.none;
    }

    function search() {
      var term = currentTerm(input, multiple);
      if (!term) {
        close();
        return;
      }
      var ask = ++asked;
      fetch(endpoint + "?q=" + encodeURIComponent(term), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (body) { if (ask === asked) show(body.results || []); })
        .catch(function () { close(); }); // offline: the plain field still works
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && options.length) {
        event.preventDefault();
        if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp" && options.length) {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault(); // take the suggestion, do not submit the form yet
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  function init() {
    if (!endpoint || !window.fetch) return;
    document.querySelectorAll("input[data-waste-code-picker]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
