// The portal's one script: draws each [data-chart] with uPlot (served from /admin/assets) and makes the
// copy buttons work. Pages are rendered on the server and work without it, charts aside.
"use strict";

const colours = ["#0b5cad", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#5c940d", "#1098ad", "#e67700"];

function drawChart(element) {
  const data = JSON.parse(element.dataset.chart);
  const options = {
    width: Math.max(element.clientWidth, 280),
    height: 220,
    scales: { x: { time: true } },
    axes: [{}, { size: 70 }],
    series: [{}, ...data.series.map((s, i) => ({ label: s.label, stroke: colours[i % colours.length], width: 2 }))],
  };
  const chart = new uPlot(options, [data.x, ...data.series.map((s) => s.values)], element);
  window.addEventListener("resize", () => chart.setSize({ width: Math.max(element.clientWidth, 280), height: 220 }));
}

function copyButton(button) {
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent;
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  });
}

document.querySelectorAll("[data-chart]").forEach(drawChart);
document.querySelectorAll("[data-copy]").forEach(copyButton);
