// Draws each dashboard chart from the JSON next to its canvas (the table under it has the same
// numbers); again after htmx refreshes the panels. No animation: charts are read, not watched.
(function () {
  "use strict";
  var palette = ["#1f6feb", "#d1242f", "#1a7f37", "#bf8700", "#8250df", "#0a7c86", "#cf222e", "#57606a"];

  function draw(canvas) {
    if (!window.Chart || canvas.dataset.drawn) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (set, index) {
      var colour = palette[index % palette.length];
      return {
        label: set.label, data: set.data, borderColor: colour, backgroundColor: colour + (spec.kind === "line" ? "33" : "cc"),
        borderWidth: spec.kind === "line" ? 2 : 1, tension: 0.2, pointRadius: 2, spanGaps: true
      };
    });
    var valueAxis = { beginAtZero: true, stacked: spec.stacked };
    if (spec.percent) {
      valueAxis.max = 100;
      valueAxis.ticks = { callback: function (value) { return value + "%"; } };
    }
    new window.Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: spec.stacked }, y: valueAxis },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
      }
    });
    canvas.dataset.drawn = "1";
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
