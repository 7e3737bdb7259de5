// Autocomplete for every search box: titles from the reconciliation suggest service
// (/reconcile/suggest/entity), offered through a <datalist>. Without JavaScript, or where
// there is no service (the static export), the boxes are plain inputs and forms still work.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("input[data-suggest]");
  Array.prototype.forEach.call(boxes, function (input, n) {
    var service = input.getAttribute("data-suggest");
    var list = document.createElement("datalist");
    list.id = "suggest-" + n;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.parentNode.appendChild(list);
    var timer = null, asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var prefix = input.value.trim();
        if (prefix.length < 2 || prefix === asked) return;
        asked = prefix;
        var url = service + "?limit=20&type=position&prefix=" + encodeURIComponent(prefix);
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { result: [] }; })
          .then(function (body) {
            var seen = {};
            list.textContent = "";
            (body.result || []).forEach(function (item) {
              if (seen[item.name]) return;
              seen[item.name] = true;
              var option = document.createElement("option");
              option.value = item.name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* no suggest service here: the box stays a plain input */ });
      }, 150);
    });
  });
})();
