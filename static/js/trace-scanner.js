// Staff scanner: reads a label's QR code with the browser's BarcodeDetector and opens its trace.
// Without BarcodeDetector or a camera the typed-code form (which works without JavaScript) remains.
(function () {
  "use strict";
  var box = document.getElementById("scanner");
  var video = document.getElementById("scanner-video");
  var startButton = document.getElementById("scanner-start");
  var status = document.getElementById("scanner-status");
  if (!box || !video || !startButton) { return; }

  function say(text) { status.textContent = text; }

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(box.dataset.unsupported);
    return;
  }
  box.hidden = false;

  function traceUrl(text) {
    // A label's QR holds BASE_URL/t/<code>; a bare code is accepted too. Only the code is kept, so a
    // forged QR cannot send the phone to another site.
    var match = /\/t\/([^/?#\s]+)/i.exec(text);
    var code = (match ? match[1] : text).trim();
    if (!/^[0-9A-Za-z-]{14,40}$/.test(code)) { return null; }
    return "/t/" + encodeURIComponent(code.toUpperCase());
  }

  function scan(detector, stream) {
    detector.detect(video).then(function (codes) {
      for (var i = 0; i < codes.length; i++) {
        var url = traceUrl(codes[i].rawValue || "");
        if (url) {
          stream.getTracks().forEach(function (track) { track.stop(); });
          window.location.assign(url);
          return;
        }
      }
      window.setTimeout(function () { scan(detector, stream); }, 200);
    }).catch(function () {
      window.setTimeout(function () { scan(detector, stream); }, 500);
    });
  }

  startButton.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        startButton.hidden = true;
        return video.play().then(function () { scan(detector, stream); });
      })
      .catch(function () { say(box.dataset.denied); });
  });
})();
