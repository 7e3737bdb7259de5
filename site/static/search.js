// Search of the static site (kg site): filters the page's list of every entry in the browser.
// The index (in the page, #search-index) holds each entry's folded title, words, stems and
// codes, and kg.search's folding tables, so a query is folded the way the server folds it:
// any case, Kazakh letters typed on a Russian keyboard, look-alike letters in codes. Without
// JavaScript the page still lists everything.
(function () {
  "use strict";
  var list = document.getElementById("everything");
  var source = document.getElementById("search-index");
  if (!list || !source) return;
  var data = JSON.parse(source.textContent);
  var params = new URLSearchParams(window.location.search);
  var query = (params.get("q") || "").trim();
  var types = params.getAll("type").filter(Boolean);
  var input = document.getElementById("q");
  if (input) input.value = query;
  if (!query && !types.length) return;

  function map(text, table) {
    return Array.from(text).map(function (c) { return table[c] || c; }).join("");
  }
  function foldWord(w) {
    if (/[\u0400-\u04ff]/.test(w)) return map(map(w, data.latin), data.kazakh);
    if (/^[\x00-\x7f]*$/.test(w)) return w;
    return w.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/ı/g, "i");
  }
  function words(text) {
    var found = map(text.normalize("NFKC").toLowerCase(), data.dashes).match(/[\p{L}\p{N}]+/gu);
    return (found || []).map(foldWord);
  }
  function asCode(chunk, alone) {
    var c = map(map(chunk.normalize("NFKC").toLowerCase(), data.dashes), data.lookalike);
    var m = c.toUpperCase().replace(/\.$/, "")
      .match(/^([A-D][1-9])(-[1-9][0-9]?(?:-[1-9])?)?(-[HEO])?(?:\.([0-9]{1,2}))?$/);
    if (!m || !(alone || /[0-9]/.test(chunk))) return null;
    return m[1] + (m[2] || "") + (m[3] || "") + (m[4] ? "." + ("0" + m[4]).slice(-2) : "");
  }

  var chunks = query.split(/[\s,;:()\[\]{}"'«»\/\\|!?]+/).filter(Boolean);
  var codes = [], qwords = [];
  chunks.forEach(function (chunk) {
    var code = asCode(chunk, chunks.length === 1);
    if (code) codes.push(code); else qwords = qwords.concat(words(chunk));
  });
  var key = qwords.join(" ");

  function wordScore(w, e) {
    var best = 0;
    e.w.forEach(function (x) {
      if (x === w) best = 1;
      else if (x.indexOf(w) === 0) best = Math.max(best, 0.5 + 0.4 * w.length / x.length);
    });
    e.s.concat(e.w).forEach(function (x) {
      if (x.length >= 3 && w.indexOf(x) === 0) best = Math.max(best, 0.85);
    });
    return best;
  }
  function score(e) {
    if (types.length && types.indexOf(e.y) < 0) return 0;
    var s = codes.length || qwords.length ? 0 : 50;
    if (codes.length) {
      e.c.forEach(function (n) {
        codes.forEach(function (c) {
          if (n === c) s = Math.max(s, 100);
          else if (n.indexOf(c + "-") === 0 || n.indexOf(c + ".") === 0) s = Math.max(s, 96);
        });
      });
      if (!s) return 0;
    }
    if (qwords.length) {
      var sum = 0;
      qwords.forEach(function (w) { sum += wordScore(w, e); });
      var recall = sum / qwords.length;
      var precision = Math.min(1, qwords.length / e.n);
      s = e.k === key ? 100 : Math.min(99, 100 * recall * recall * (0.55 + 0.45 * precision));
    }
    return s;
  }

  var items = Array.prototype.slice.call(list.children);
  var found = data.entries.map(function (e, i) { return { i: i, s: score(e) }; })
    .filter(function (x) { return x.s >= 40; })
    .sort(function (a, b) { return b.s - a.s || a.i - b.i; });
  items.forEach(function (li) { li.hidden = true; });
  found.forEach(function (x) { items[x.i].hidden = false; list.appendChild(items[x.i]); });
  var status = document.getElementById("search-status");
  if (status) {
    // The page gives the messages in its language (data-found, data-none: {n}, {q}).
    var pattern = status.getAttribute(found.length ? "data-found" : "data-none") ||
      (found.length ? "{n} found for “{q}”" : "Nothing found for “{q}”.");
    status.textContent = pattern.replace("{n}", found.length).replace("{q}", query);
  }
})();
