// Console benchmark in Debian's headless Chromium (playwright-core), against
// a real `lookout serve` playing a big simulated recording in real time.
// Started by tests/console_e2e.rs (`console_bench`), which also pushes the
// drone detections: this script asks on stdout ("PUSH i"), the test answers on
// stdin ("PUSHED i <wall ms> <lat> <lon>").
//
// Environment: CHROMIUM, CONSOLE_URL, OUT_DIR, MIN_VESSELS, PUSHES.

import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execFileSync } from "node:child_process";

const env = (k, d) => process.env[k] ?? d ?? (() => { throw new Error(`${k} is not set`); })();
const OUT = env("OUT_DIR");
const MIN_VESSELS = Number(env("MIN_VESSELS", "2000"));
const PUSHES = Number(env("PUSHES", "5"));
const t0 = Date.now();
const log = (...a) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--enable-precise-memory-info"],
});
const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
const page = await context.newPage();
page.on("pageerror", (e) => log("page error:", e.message));
const cdp = await context.newCDPSession(page);
await cdp.send("Performance.enable");

const result = { minVessels: MIN_VESSELS, viewport: "1600x900" };
try {
  await page.goto(env("CONSOLE_URL"));
  // When each alert row first appears in the DOM (for push-to-row latency).
  await page.evaluate(() => {
    window.__rowSeen = {};
    new MutationObserver(() => {
      for (const li of document.querySelectorAll('[data-testid="alert"]')) {
        const id = li.dataset.alertId;
        if (!(id in window.__rowSeen)) window.__rowSeen[id] = Date.now();
      }
    }).observe(document.getElementById("alert-list"), { childList: true });
  });
  const counts = () =>
    page.evaluate(() => ({
      vessels: Number(document.querySelector('[data-testid="vessel-count"]').textContent),
      dark: Number(document.querySelector('[data-testid="dark-count"]').textContent),
    }));
  const deadline = Date.now() + 300_000;
  let c = await counts();
  while (c.vessels < MIN_VESSELS) {
    if (Date.now() > deadline) throw new Error(`only ${c.vessels} vessels on the map after 300 s`);
    await page.waitForTimeout(5000);
    c = await counts();
    log(`on the map: ${c.vessels} vessels, ${c.dark} dark`);
  }
  await page.waitForTimeout(5000);
  result.onMap = await counts();
  log("measuring", result.onMap);

  // Frame times from requestAnimationFrame, and long tasks, while updates flow.
  const measure = (ms, pan) =>
    page.evaluate(
      ({ ms, pan }) =>
        new Promise((resolve) => {
          const L = window.__lookout;
          const deltas = [];
          const longTasks = [];
          const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
          obs.observe({ type: "longtask", buffered: false });
          const ev0 = L.tracks.events;
          const view = L.map.map.getView();
          const start = performance.now();
          let last = start;
          let panStep = 0;
          function frame(t) {
            deltas.push(t - last);
            last = t;
            if (pan && !view.getAnimating()) {
              // An operator panning and zooming about the picture.
              const c = view.getCenter();
              const d = 30000 * (panStep % 2 ? -1 : 1);
              view.animate({ center: [c[0] + d, c[1] + d / 2], zoom: view.getZoom() + (panStep % 4 < 2 ? 0.5 : -0.5), duration: 800 });
              panStep++;
            }
            if (t - start < ms) requestAnimationFrame(frame);
            else {
              obs.disconnect();
              resolve({ deltas: deltas.slice(1), longTasks, events: L.tracks.events - ev0, seconds: (t - start) / 1000 });
            }
          }
          requestAnimationFrame(frame);
        }),
      { ms, pan },
    );
  const stats = (r) => {
    const d = [...r.deltas].sort((a, b) => a - b);
    const q = (p) => d[Math.min(d.length - 1, Math.floor(p * d.length))];
    return {
      frames: d.length,
      fps: +(d.length / r.seconds).toFixed(1),
      meanMs: +(d.reduce((a, b) => a + b, 0) / d.length).toFixed(2),
      p50Ms: +q(0.5).toFixed(2),
      p95Ms: +q(0.95).toFixed(2),
      p99Ms: +q(0.99).toFixed(2),
      maxMs: +d[d.length - 1].toFixed(2),
      over33Ms: d.filter((x) => x > 33.4).length,
      longTasks: r.longTasks.length,
      longTaskMaxMs: r.longTasks.length ? +Math.max(...r.longTasks).toFixed(1) : 0,
      updatesPerSecond: +(r.events / r.seconds).toFixed(0),
    };
  };
  result.live = stats(await measure(20_000, false));
  log("live, no interaction:", result.live);
  result.panning = stats(await measure(10_000, true));
  log("live, panning and zooming:", result.panning);

  const metrics = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const mem = await page.evaluate(() => ({ used: performance.memory.usedJSHeapSize, total: performance.memory.totalJSHeapSize }));
  result.memory = {
    jsHeapUsedMB: +(metrics.JSHeapUsedSize / 1048576).toFixed(1),
    jsHeapTotalMB: +(metrics.JSHeapTotalSize / 1048576).toFixed(1),
    performanceMemoryUsedMB: +(mem.used / 1048576).toFixed(1),
    domNodes: metrics.Nodes,
    rendererRssMB: rendererRss(),
  };
  log("memory:", result.memory);

  // Push-to-row: a drone's sighting of an overcrowded boat, pushed by the test
  // over gRPC, until its alert row is in the page.
  result.pushToRowMs = [];
  for (let i = 0; i < PUSHES; i++) {
    console.log(`PUSH ${i}`);
    const { value } = await lines.next();
    const [, , sent, lat, lon] = value.trim().split(/\s+/);
    const id = await page.waitForFunction(
      ({ lat, lon }) => {
        const L = window.__lookout;
        for (const a of L.alerts.alerts.values()) {
          if (a.kind !== 7 || !a.position) continue;
          if (Math.abs(a.position.latDeg - lat) < 0.01 && Math.abs(a.position.lonDeg - lon) < 0.01) {
            const id = String(a.alertId);
            if (id in window.__rowSeen) return id;
          }
        }
        return null;
      },
      { lat: Number(lat), lon: Number(lon) },
      { timeout: 30_000, polling: 20 },
    );
    const seen = await page.evaluate((id) => window.__rowSeen[id], await id.jsonValue());
    result.pushToRowMs.push(seen - Number(sent));
    log(`push ${i}: alert row after ${seen - Number(sent)} ms`);
    await page.waitForTimeout(1000);
  }
  await page.screenshot({ path: join(OUT, "bench.png") });
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e?.stack ?? e);
  log(result.error);
} finally {
  writeFileSync(join(OUT, "bench.json"), JSON.stringify(result, null, 2));
  console.log(`RESULT ${JSON.stringify(result)}`);
  await browser.close();
}
process.exit(result.ok ? 0 : 1);

/** Resident memory of Chromium's renderer processes, MB (from ps). */
function rendererRss() {
  try {
    const out = execFileSync("ps", ["-eo", "rss,args"], { encoding: "utf8" });
    const kb = out
      .split("\n")
      .filter((l) => l.includes("--type=renderer") && !l.includes("--extension-process"))
      .reduce((s, l) => s + Number(l.trim().split(/\s+/)[0]), 0);
    return +(kb / 1024).toFixed(0);
  } catch {
    return null;
  }
}
