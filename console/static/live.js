// CalmDesk console: refresh the element marked data-live from its URL every few seconds.
// The page works without this script (it then reloads itself every 15 s).
(function () {
  "use strict";
  var box = document.querySelector("[data-live]");
  if (!box) { return; }
  var url = box.getAttribute("data-live");
  var every = Math.max(1, parseFloat(box.getAttribute("data-every") || "2")) * 1000;
  function tick() {
    fetch(url, { headers: { "X-Calmdesk-Live": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { window.location.href = "/login"; return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
}());
