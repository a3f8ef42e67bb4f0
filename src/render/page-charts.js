// The status page's charts: one per <figure class="chart">, its feature and scope read from data-*
// attributes, drawn with uPlot from /history (same origin, the browser resends its credentials).
// Served as a file: the page's CSP allows no inline script. uPlot styles elements through the CSSOM,
// which the CSP allows; nothing here writes a style attribute or markup.
(() => {
  const HEIGHT = 220;

  /** The message a failed answer carries (/history answers problems as JSON or text). */
  async function reasonOf(res) {
    const text = await res.text();
    try {
      const body = JSON.parse(text);
      return body.detail ?? body.error ?? `HTTP ${res.status}`;
    } catch {
      return text.trim() || `HTTP ${res.status}`;
    }
  }

  function colours(el) {
    const css = getComputedStyle(el);
    const v = (name) => css.getPropertyValue(name).trim();
    return { use: v("--chart-use"), avg: v("--chart-avg"), seats: v("--chart-seats"), axis: v("--fg"), grid: v("--grid") };
  }

  /** [times, peak in use, average in use, seats] from the first series of the answer, or null when empty. */
  function dataOf(body) {
    const s = body.series[0];
    if (!s || s.points.length === 0) return null;
    const t = s.points.map((p) => Date.parse(p.t) / 1000);
    const seats = s.points.map(() => s.capacity);
    return [t, s.points.map((p) => p.max), s.points.map((p) => p.avg), seats];
  }

  function options(el, width) {
    const c = colours(el);
    const axis = { stroke: c.axis, grid: { stroke: c.grid }, ticks: { stroke: c.grid } };
    return {
      width,
      height: HEIGHT,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [axis, { ...axis, label: "seats" }],
      series: [
        {},
        { label: "peak in use", stroke: c.use, width: 2 },
        { label: "average in use", stroke: c.avg, width: 1 },
        { label: "seats bought", stroke: c.seats, width: 2, dash: [6, 4] },
      ],
    };
  }

  function setUp(fig) {
    const plot = fig.querySelector(".plot");
    const status = fig.querySelector(".chart-status");
    const buttons = [...fig.querySelectorAll("button[data-from]")];
    let chart = null;
    let asked = 0;

    const clear = (message) => {
      chart?.destroy();
      chart = null;
      status.textContent = message;
      fig.dataset.state = message === "" ? "drawn" : "empty";
    };

    const load = async (from) => {
      const mine = ++asked;
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.from === from));
      status.textContent = "loading…";
      fig.dataset.state = "loading";
      const q = new URLSearchParams({ kind: "feature_in_use", scope: fig.dataset.scope, feature_name: fig.dataset.feature, from });
      if (fig.dataset.groupId) q.set("virtual_group_id", fig.dataset.groupId);
      try {
        const res = await fetch(`/history?${q}`, { headers: { accept: "application/json" } });
        const body = res.ok ? await res.json() : null;
        const reason = res.ok ? null : await reasonOf(res);
        if (mine !== asked) return;
        if (reason !== null) return clear(`history could not be read: ${reason}`);
        const data = dataOf(body);
        if (!data) return clear("no history yet");
        clear("");
        chart = new uPlot(options(fig, plot.clientWidth), data, plot);
      } catch (err) {
        if (mine === asked) clear(`history could not be read: ${err.message}`);
      }
    };

    for (const b of buttons) b.addEventListener("click", () => load(b.dataset.from));
    window.addEventListener("resize", () => chart?.setSize({ width: plot.clientWidth, height: HEIGHT }));
    const pressed = buttons.find((b) => b.getAttribute("aria-pressed") === "true");
    load(pressed ? pressed.dataset.from : "-7d");
  }

  for (const fig of document.querySelectorAll("figure.chart")) setUp(fig);
})();
