/* Amparo public pages: proof of work before sending, emergency number, quick exit, copy receipt.
   Without JavaScript the form still works; the report then waits in the held queue. */
(function () {
  "use strict";

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { bits += 1; b <<= 1; }
      return bits;
    }
    return bits;
  }

  async function solve(challenge) {
    var bits = parseInt(challenge.split(":")[0], 10);
    var encoder = new TextEncoder();
    for (var nonce = 0; nonce < 1e9; nonce++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + nonce));
      if (zeroBits(new Uint8Array(digest)) >= bits) { return String(nonce); }
    }
    return "";
  }

  // The report form, and every form that sends a receipt (data-pow): solve the single-use
  // challenge before sending. Without JavaScript the form is sent as it is.
  function guard(form) {
    if (!window.crypto || !crypto.subtle) { return; }
    var solving = false;
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.name === "switch_lang") { return; }  // only changing language
      var challenge = form.querySelector("input[name=pow_challenge]");
      var nonce = form.querySelector("input[name=pow_nonce]");
      if (!challenge || !nonce || !challenge.value || nonce.value) { return; }
      event.preventDefault();
      if (solving) { return; }
      solving = true;
      var status = form.querySelector(".pow-status") || (form.id === "report-form" && document.getElementById("pow-status"));
      if (status) { status.textContent = form.getAttribute("data-pow-status"); }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      solve(challenge.value).then(function (found) {
        nonce.value = found;
        form.submit();
      });
    });
  }

  var form = document.getElementById("report-form");
  if (form) { guard(form); }
  document.querySelectorAll("form[data-pow]").forEach(guard);

  var numbersNode = document.getElementById("emergency-numbers");
  var country = document.querySelector("#report-form select[name=country]");
  var target = document.getElementById("danger-number");
  if (numbersNode && country && target) {
    var numbers = JSON.parse(numbersNode.textContent);
    var box = document.getElementById("danger-box");
    var show = function () {
      var number = numbers[country.value];
      target.textContent = number ? box.getAttribute("data-emergency-label") + " " + number : "";
    };
    country.addEventListener("change", show);
    document.querySelectorAll("#report-form input[name=danger]").forEach(function (input) {
      input.addEventListener("change", show);
    });
    show();
  }

  // Quick exit: leave at once for a neutral site, replacing this page in the history so Back
  // does not return to it; the page is blanked first. Escape pressed twice does the same.
  var exit = document.getElementById("quick-exit");
  if (exit) {
    var leave = function (event) {
      if (event) { event.preventDefault(); }
      document.body.hidden = true;
      document.title = "";
      window.location.replace(exit.href);
    };
    exit.addEventListener("click", leave);
    var lastEscape = 0;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var now = Date.now();
      if (now - lastEscape < 1500) { leave(event); }
      lastEscape = now;
    });
  }

  var copy = document.getElementById("copy-receipt");
  var receipt = document.getElementById("receipt");
  if (copy && receipt && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(receipt.textContent.trim()).then(function () {
        copy.textContent = copy.getAttribute("data-copied");
      });
    });
  }
})();
