/* Charts of the statistics page. The data of each chart is a JSON block next to its canvas
   (<script type="application/json" class="chart-data" data-canvas="...">): the CSP allows no
   inline script, and the numbers stay readable in the table below each chart anyway. */
(function () {
  "use strict";
  var COLOURS = ["#0b5cad", "#d97706", "#1d7a3a", "#b3261e", "#6b21a8", "#0e7490", "#64748b"];

  function config(spec) {
    var horizontal = !!spec.horizontal;
    var datasets = spec.datasets.map(function (d, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: d.label, data: d.data, borderColor: colour,
        backgroundColor: spec.type === "line" ? colour : colour + "cc",
        borderWidth: spec.type === "line" ? 2 : 0, pointRadius: spec.type === "line" ? 2 : 0,
        spanGaps: true, tension: 0, maxBarThickness: 28
      };
    });
    var valueAxis = {
      beginAtZero: true, stacked: !!spec.stacked,
      ticks: {
        precision: 0,
        callback: function (v) { return spec.percent ? v + " %" : v; }
      }
    };
    var labelAxis = { stacked: !!spec.stacked, ticks: { autoSkip: true, maxRotation: 0 } };
    return {
      type: spec.type === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, locale: "vi-VN",
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
      }
    };
  }

  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    var blocks = document.querySelectorAll("script.chart-data");
    for (var i = 0; i < blocks.length; i++) {
      var canvas = document.getElementById(blocks[i].getAttribute("data-canvas"));
      if (!canvas) { continue; }
      try {
        var spec = JSON.parse(blocks[i].textContent);
        if (spec.horizontal && canvas.parentNode) {
          // one bar row per label: the box grows with the list instead of stretching few bars
          canvas.parentNode.style.height = Math.max(120, 34 * spec.labels.length + 50) + "px";
        }
        var chart = new window.Chart(canvas, config(spec));
        canvas.setAttribute("data-drawn", chart ? "1" : "0");
      } catch (e) {
        canvas.setAttribute("data-drawn", "error");
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
