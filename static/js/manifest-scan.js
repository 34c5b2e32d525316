// Scanning container labels on a phone: the camera via the BarcodeDetector API where the browser has it;
// every scanned code is appended to the text area, which also works by typing when there is no camera.
(function () {
  "use strict";
  var form = document.querySelector(".scan-form");
  if (!form) { return; }
  var box = form.querySelector(".scanner");
  var video = form.querySelector(".scan-video");
  var status = form.querySelector(".scan-status");
  var start = form.querySelector(".scan-start");
  var textarea = form.querySelector("textarea[name=scanned]");
  var expected = (form.getAttribute("data-expected") || "").split(" ").filter(Boolean);
  var CODE = /^[0-9A-Z]{37}$/;

  function codes() {
    return textarea.value.toUpperCase().split(/[\s,;]+/).filter(Boolean);
  }

  function mark() {
    var seen = codes();
    document.querySelectorAll(".scan-expected li").forEach(function (li) {
      var scanned = seen.indexOf(li.getAttribute("data-code")) !== -1;
      li.classList.toggle("scanned", scanned);
      var tick = li.querySelector(".scan-tick");
      if (tick) { tick.textContent = scanned ? "\u2713" : "\u25CB"; }
      var state = li.querySelector(".scan-state");
      if (state) { state.textContent = scanned ? form.getAttribute("data-scanned") : form.getAttribute("data-missing"); }
      // a scanned container needs no exception: its reason and photo are hidden (and not sent)
      var exception = li.querySelector(".scan-exception");
      if (exception) {
        exception.hidden = scanned;
        exception.querySelectorAll("input").forEach(function (input) { input.disabled = scanned; });
      }
    });
    var found = expected.filter(function (c) { return seen.indexOf(c) !== -1; }).length;
    if (status) { status.textContent = found + " / " + expected.length; }
  }

  function add(code) {
    code = (code || "").trim().toUpperCase();
    // a label's QR holds BASE_URL/t/<code>: keep only the code
    var slash = code.lastIndexOf("/T/");
    if (slash !== -1) { code = code.slice(slash + 3); }
    if (!CODE.test(code) || codes().indexOf(code) !== -1) { return; }
    textarea.value = (textarea.value.trim() ? textarea.value.trim() + "\n" : "") + code;
    if (navigator.vibrate) { navigator.vibrate(80); }
    mark();
  }

  textarea.addEventListener("input", mark);
  mark();
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  box.hidden = false;

  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128", "data_matrix"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      start.disabled = true;
      function tick() {
        if (video.readyState < 2) { window.requestAnimationFrame(tick); return; }
        detector.detect(video).then(function (found) {
          found.forEach(function (barcode) { add(barcode.rawValue); });
        }).catch(function () {}).then(function () { window.setTimeout(tick, 250); });
      }
      tick();
    }).catch(function (error) {
      if (status) { status.textContent = error.message; }
    });
  });
})();
