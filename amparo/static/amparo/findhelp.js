/* "Search near me" on the public find-help page. Nothing happens until the person presses
   the button; the browser then asks for permission. The position is rounded to 0.1 degree
   (about 11 km) here, before it is put in the address, and the form is sent as usual.
   Without JavaScript the button stays hidden and the person chooses a country and region. */
(function () {
  "use strict";
  var box = document.getElementById("near-me-box");
  var button = document.getElementById("near-me");
  var form = document.getElementById("help-form");
  var status = document.getElementById("near-me-status");
  if (!box || !button || !form || !("geolocation" in navigator)) return;
  box.hidden = false;
  function rounded(value) {
    return (Math.round(value * 10) / 10).toFixed(1);
  }
  function put(name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(
      function (position) {
        put("lat", rounded(position.coords.latitude));
        put("lon", rounded(position.coords.longitude));
        ["country", "region"].forEach(function (name) {
          var select = form.querySelector('select[name="' + name + '"]');
          if (select) select.value = "";
        });
        form.submit();
      },
      function () {
        status.textContent = button.getAttribute("data-failed");
      },
      { enableHighAccuracy: false, maximumAge: 600000, timeout: 15000 }
    );
  });
})();
