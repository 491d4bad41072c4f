// Draws a recording's retention (the share of viewers at each moment) with Apache ECharts,
// served from npm and loaded before this module, from the numbers the page already holds in
// #retention-data: the same numbers as the chart's table and CSV.

const echarts = window.echarts;
const source = document.getElementById("retention-data");
const box = document.querySelector("[data-retention]");
if (echarts && source && box) {
  const data = JSON.parse(source.textContent);
  const css = getComputedStyle(document.documentElement);
  const token = (name) => css.getPropertyValue(name).trim();
  const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  const chart = echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    aria: { enabled: true },
    color: [token("--accent")],
    textStyle: { color: token("--text") },
    grid: { left: 44, right: 16, top: 16, bottom: 32 },
    tooltip: {
      trigger: "axis",
      renderMode: "richText",
      formatter: (items) => `${clock(items[0].value[0])}: ${items[0].value[1]} % of viewers`,
    },
    xAxis: {
      type: "value",
      min: 0,
      max: "dataMax",
      axisLabel: { color: token("--muted"), formatter: clock },
      axisLine: { lineStyle: { color: token("--border") } },
      splitLine: { show: false },
    },
    yAxis: {
      type: "value",
      min: 0,
      max: 100,
      name: "%",
      axisLabel: { color: token("--muted") },
      splitLine: { lineStyle: { color: token("--border"), type: "dotted" } },
    },
    series: [
      { type: "line", step: "end", symbol: "none", areaStyle: { opacity: 0.15 }, data: data.points },
    ],
  });
  new ResizeObserver(() => chart.resize()).observe(box);
}
