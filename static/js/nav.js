// The "Menu" button of the main navigation on narrow screens. Progressive enhancement: the stylesheet
// collapses the navigation only once this script has marked <html>, so without JavaScript it stays open.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("nav-js");

  function init() {
    var button = document.querySelector(".nav-toggle");
    var nav = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) {
      root.classList.remove("nav-js");
      return;
    }
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    }
    setOpen(false);
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes an open menu and puts focus back on its button, as users of disclosure menus expect.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
      if (button.offsetParent === null) return; // a wide screen: the button and the collapsing are off
      if (!nav.contains(document.activeElement) && document.activeElement !== button) return;
      setOpen(false);
      button.focus();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
