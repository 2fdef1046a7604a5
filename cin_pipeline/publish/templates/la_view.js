// The LA view of the release preview (cin_pipeline/publish/la_view.py): draws, for the local
// authority picked in #la-pick, one table per headline measure (years as columns; rows: the LA,
// its region, England) and a line, from the JSON in #la-view-data. The cells are the published
// text; nothing is computed from them but the positions of the points of the line.
// No library, no network; text is only ever set with textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("la-view-data").textContent);
  var pick = document.getElementById("la-pick");
  var box = document.getElementById("la-measures");
  var SVG = "http://www.w3.org/2000/svg";
  var SYMBOLS = {c: "suppressed", x: "not available", u: "low reliability", z: "not applicable",
                 k: "a non-zero value that rounds to 0", low: "a non-zero value that rounds to 0"};
  var COLOURS = ["#1d70b8", "#f47738", "#00703c", "#505a5f"];
  var las = {};
  data.las.forEach(function (la) { las[la[0]] = la; });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function num(cell) {
    return typeof cell === "string" && /^-?[0-9]+(\.[0-9]+)?$/.test(cell) ? Number(cell) : null;
  }

  // The series as a line; for a count the LA's alone (its region's and England's are another scale).
  function chart(measure, rows) {
    var shown = measure.kind === "count" ? rows.slice(0, 1) : rows;
    var W = 440, H = 150, L = 56, R = 12, T = 10, B = 22, n = measure.years.length;
    var values = [];
    shown.forEach(function (r) {
      (r.cells || []).forEach(function (c) { if (num(c) !== null) { values.push(num(c)); } });
    });
    if (!values.length) { return null; }
    var top = Math.max.apply(null, values) * 1.1 || 1;
    function x(i) { return L + (n > 1 ? i / (n - 1) : 0.5) * (W - L - R); }
    function y(v) { return H - B - v / top * (H - T - B); }
    var s = svg("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
                        "aria-label": measure.label});
    [0, top / 2, top].forEach(function (v) {
      s.appendChild(svg("line", {x1: L, x2: W - R, y1: y(v).toFixed(1), y2: y(v).toFixed(1), stroke: "#e5e5e5"}));
      s.appendChild(svg("text", {x: L - 6, y: (y(v) + 4).toFixed(1), "font-size": 10, "text-anchor": "end"},
                        v >= 100 ? Math.round(v).toLocaleString("en-GB") : String(Math.round(v * 10) / 10)));
    });
    measure.years.forEach(function (yr, i) {
      if (i === 0 || i === n - 1 || n <= 6) {
        s.appendChild(svg("text", {x: x(i).toFixed(1), y: H - 6, "font-size": 10, "text-anchor": "middle"}, String(yr)));
      }
    });
    shown.forEach(function (r) {
      var run = [];
      function flush() {
        if (run.length > 1) {
          s.appendChild(svg("polyline", {fill: "none", stroke: r.colour, "stroke-width": 2, points: run.join(" ")}));
        }
        run = [];
      }
      (r.cells || []).forEach(function (c, i) {
        var v = num(c);
        if (v === null) { flush(); return; }
        run.push(x(i).toFixed(1) + "," + y(v).toFixed(1));
        var dot = svg("circle", {cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5, fill: r.colour});
        dot.appendChild(svg("title", {}, r.name + ", " + measure.years[i] + ": " + c));
        s.appendChild(dot);
      });
      flush();
    });
    return s;
  }

  function show(code) {
    var la = las[code];
    if (!la) { return; }
    var codes = [la[0]].concat(la[2], [data.england]);
    box.textContent = "";
    data.measures.forEach(function (m, k) {
      var rows = codes.map(function (c, j) {
        var area = data.areas[c];
        return {code: c, name: area ? area.name : c, cells: area ? area.values[k] : null,
                colour: COLOURS[Math.min(j, COLOURS.length - 1)]};
      });
      var sec = el("section", null, "measure");
      sec.setAttribute("data-measure", m.table + "." + m.column);
      sec.appendChild(el("h3", m.table + ": " + m.label));
      sec.appendChild(el("p", m.title + ": column " + m.column + " of " + m.file, "note"));
      var table = el("table"), head = el("tr");
      head.appendChild(el("th", ""));
      m.years.forEach(function (yr) { head.appendChild(el("th", String(yr))); });
      table.appendChild(head);
      rows.forEach(function (r) {
        var tr = el("tr"), th = el("th", r.name);
        tr.setAttribute("data-area", r.code);
        th.style.borderLeft = "4px solid " + r.colour;
        tr.appendChild(th);
        m.years.forEach(function (yr, i) {
          var cell = r.cells ? r.cells[i] : null;
          var td = el("td", cell === null ? "" : cell);
          if (cell === null) { td.title = "no row in the file"; }
          else if (SYMBOLS[cell]) { td.title = SYMBOLS[cell]; td.className = "sym"; }
          tr.appendChild(td);
        });
        table.appendChild(tr);
      });
      sec.appendChild(table);
      var line = chart(m, rows);
      if (line) { sec.appendChild(line); }
      box.appendChild(sec);
    });
  }

  pick.addEventListener("change", function () { show(pick.value); });
  show(pick.value);
}());
