// Draws the dashboard's charts with Apache ECharts (served from npm, loaded before this module)
// from the numbers the page already holds in #dashboard-charts: the same numbers as each chart's
// table. Every point and bar carries the link to the items behind it; a click opens it. Series
// are told apart by line pattern and marker shape as well as colour, bars by decal patterns.

const echarts = window.echarts;
const source = document.getElementById("dashboard-charts");
const charts = source ? JSON.parse(source.textContent) : [];
const bySlug = new Map(charts.map((c) => [c.slug, c]));
const css = getComputedStyle(document.documentElement);
const token = (name) => css.getPropertyValue(name).trim();
const palette = [token("--accent"), token("--warn"), token("--ok"), token("--danger")];
const text = token("--text");
const muted = token("--muted");
const border = token("--border");

const number = (v) =>
  v === null || v === undefined ? "no data" : (Math.round(v * 10) / 10).toLocaleString("en");

const axisStyle = {
  axisLine: { lineStyle: { color: border } },
  axisLabel: { color: muted },
  splitLine: { lineStyle: { color: border, type: "dotted" } },
};

function base(chart, small) {
  return {
    animation: false,
    color: palette,
    aria: { enabled: true, decal: { show: true } },
    textStyle: { color: text },
    grid: small
      ? { left: 32, right: 8, top: 8, bottom: 20 }
      : { left: 44, right: 16, top: 28, bottom: 40, containLabel: false },
    tooltip: { trigger: "item", renderMode: "richText", valueFormatter: number },
    legend: small ? { show: false } : { top: 0, textStyle: { color: muted }, itemWidth: 28 },
  };
}

function point(cell) {
  return { value: cell.value, url: cell.url };
}

function weekly(chart, small, max) {
  const labels = chart.rows.map((r) => r[0].value);
  const lines = chart.kind === "percentiles"
    ? [
        { name: "Median", col: 1, symbol: "circle", type: "solid" },
        { name: "85th percentile", col: 2, symbol: "triangle", type: "dashed" },
      ]
    : [{ name: chart.columns[1], col: 1, symbol: "circle", type: "solid" }];
  return {
    ...base(chart, small),
    xAxis: { type: "category", data: labels, ...axisStyle, axisLabel: { color: muted, hideOverlap: true } },
    yAxis: { type: "value", name: small ? "" : chart.unit, max, ...axisStyle },
    series: lines.map((line) => ({
      name: line.name,
      type: "line",
      connectNulls: false,
      symbol: line.symbol,
      symbolSize: small ? 5 : 9,
      lineStyle: { type: line.type, width: 2 },
      label: { show: !small, position: "top", color: text, formatter: (p) => number(p.value) },
      labelLayout: { hideOverlap: true },
      data: chart.rows.map((r) => point(r[line.col])),
    })),
  };
}

function bars(chart) {
  return {
    ...base(chart, false),
    legend: { show: false },
    xAxis: { type: "category", data: chart.rows.map((r) => r[0].value), name: chart.unit, nameLocation: "middle", nameGap: 26, ...axisStyle },
    yAxis: { type: "value", name: "items", minInterval: 1, ...axisStyle },
    series: [{
      name: chart.columns[1],
      type: "bar",
      label: { show: true, position: "top", color: text },
      data: chart.rows.map((r) => point(r[1])),
    }],
  };
}

function keyResult(chart) {
  const day = (r) => r[0].value;
  const value = chart.rows.filter((r) => r[1].value !== null).map((r) => ({ value: [day(r), r[1].value], url: r[1].url }));
  const band = chart.rows.filter((r) => r[4].value !== null);
  const low = band.map((r) => [day(r), r[3].value]);
  const width = band.map((r) => [day(r), r[5].value - r[3].value]);
  const mid = band.map((r) => [day(r), r[4].value]);
  return {
    ...base(chart, false),
    xAxis: { type: "time", ...axisStyle, axisLabel: { color: muted, hideOverlap: true } },
    // The target and the baseline are always in view, however far the values are from them.
    yAxis: {
      type: "value",
      min: (v) => Math.min(v.min, chart.target, chart.baseline),
      max: (v) => Math.max(v.max, chart.target, chart.baseline),
      ...axisStyle,
    },
    series: [
      {
        name: "Value",
        type: "line",
        symbol: "circle",
        symbolSize: 7,
        showAllSymbol: true,
        lineStyle: { width: 2 },
        data: value,
        markLine: {
          symbol: "none",
          silent: true,
          lineStyle: { type: "dashed", color: token("--ok"), width: 2 },
          label: { formatter: `Target ${number(chart.target)}`, position: "insideEndTop", color: text },
          data: [{ yAxis: chart.target }],
        },
      },
      { name: "Forecast", type: "line", symbol: "diamond", symbolSize: 7, lineStyle: { type: "dotted", width: 2 }, data: mid },
      // The range's edges are thin dashed lines, so it reads without its tint too.
      { name: "Band low", type: "line", stack: "band", symbol: "none", lineStyle: { type: [2, 4], width: 1, color: muted }, data: low, tooltip: { show: false } },
      {
        name: "Forecast range",
        type: "line",
        stack: "band",
        symbol: "none",
        lineStyle: { type: [2, 4], width: 1, color: muted },
        itemStyle: { color: token("--accent") },
        areaStyle: { color: token("--accent"), opacity: 0.15 },
        data: width,
        tooltip: { show: false },
      },
    ],
    legend: { top: 0, textStyle: { color: muted }, data: ["Value", "Forecast", "Forecast range"] },
  };
}

function spark(values) {
  return {
    animation: false,
    color: palette,
    grid: { left: 1, right: 1, top: 2, bottom: 2 },
    xAxis: { type: "category", show: false, data: values.map((_, i) => i) },
    yAxis: { type: "value", show: false, scale: true },
    series: [{ type: "line", symbol: "none", silent: true, lineStyle: { width: 1.5 }, data: values }],
  };
}

function draw(element, option) {
  const instance = echarts.init(element, null, { renderer: "canvas" });
  instance.setOption(option);
  instance.on("click", (params) => {
    const url = params.data && params.data.url;
    if (url) window.location.assign(url);
  });
  new ResizeObserver(() => instance.resize()).observe(element);
  return instance;
}

function multiplesMax() {
  let max = 0;
  for (const chart of charts) {
    if (!/^team\d+-/.test(chart.slug)) continue;
    for (const row of chart.rows) max = Math.max(max, row[1].value || 0);
  }
  return max || undefined;
}

if (echarts) {
  const sharedMax = multiplesMax();
  for (const element of document.querySelectorAll("[data-chart]")) {
    const chart = bySlug.get(element.dataset.chart);
    if (!chart) continue;
    const small = element.closest(".chart.small") !== null;
    const option = chart.kind === "histogram" ? bars(chart)
      : chart.kind === "key_result" ? keyResult(chart)
      : weekly(chart, small, small ? sharedMax : undefined);
    draw(element, option);
    element.dataset.drawn = "true";
  }
  for (const element of document.querySelectorAll("[data-spark]")) {
    const chart = bySlug.get(element.dataset.spark);
    const cell = chart && chart.rows[Number(element.dataset.row)][Number(element.dataset.col)];
    if (cell && cell.spark) echarts.init(element, null, { renderer: "canvas" }).setOption(spark(cell.spark));
  }
}
