// Draws the dashboards' charts (Chart.js, served from the project) from the JSON each panel carries,
// on page load and whenever htmx swaps in a new board.
(function () {
  "use strict";

  var palette = ["#0b6e4f", "#3b82c4", "#d97706", "#9f4fb8", "#b42318", "#5c7080", "#2f9e8f", "#c2410c"];

  function draw(container) {
    var canvas = container.querySelector("canvas");
    var source = container.querySelector("script[type='application/json']");
    if (!canvas || !source || canvas.dataset.drawn || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var round = spec.kind === "doughnut";
    var datasets = spec.datasets.map(function (set, index) {
      var color = round ? spec.labels.map(function (_, i) { return palette[i % palette.length]; }) : palette[index % palette.length];
      return { label: set.label, data: set.data, backgroundColor: color, borderColor: color, tension: 0.2, spanGaps: true };
    });
    var value = function (v) { return spec.percent ? v + " %" : Number(v).toLocaleString(); };
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: datasets.length > 1 || round },
        tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + value(ctx.parsed.x !== undefined && spec.horizontal ? ctx.parsed.x : (round ? ctx.parsed : ctx.parsed.y)); } } }
      }
    };
    if (!round) {
      var valueAxis = { beginAtZero: true, stacked: spec.stacked, ticks: { callback: value } };
      var labelAxis = { stacked: spec.stacked };
      options.indexAxis = spec.horizontal ? "y" : "x";
      options.scales = spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
    }
    new Chart(canvas, { type: spec.kind, data: { labels: spec.labels, datasets: datasets }, options: options });
    canvas.dataset.drawn = "1";
  }

  function drawAll(root) {
    (root || document).querySelectorAll(".chart").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail.elt); });
})();
