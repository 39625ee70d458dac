// End-to-end test of the console in Debian's headless Chromium, driven by
// playwright-core, against real `lookout serve` processes that
// tests/service/console_e2e.rs starts (run it with `cargo test --test service console_e2e::`).
//
// Environment (set by the Rust test):
//   CHROMIUM             path of the browser (/usr/bin/chromium)
//   CONSOLE_URL          console of a service playing the bundled scenario
//   GRPC_URL             that service's gRPC address (for `lookout near`)
//   AUTH_CONSOLE_URL     console of a service with [[operator]]s configured
//   VIEWER_TOKEN         a valid token on that service
//   LOOKOUT_BIN          the lookout binary (for `lookout near`)
//   OUT_DIR              where screenshots and the summary go
//
// The script asks the test on stdout ("PUSH-LOST": push a drone look at an
// overcrowded boat, never seen again) and waits for "PUSHED" on stdin.

import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run through tests/service/console_e2e.rs)`);
  return v;
};
const CONSOLE_URL = env("CONSOLE_URL");
const AUTH_CONSOLE_URL = env("AUTH_CONSOLE_URL");
const OUT = env("OUT_DIR");
mkdirSync(OUT, { recursive: true });

const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function ask(request, reply) {
  console.log(request);
  const { value } = await stdinLines.next();
  if (value?.trim() !== reply) throw new Error(`asked ${request}, the test answered ${value}`);
}

const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);
const summary = { checks: [] };
function check(name, ok, detail = "") {
  summary.checks.push({ name, ok, detail });
  log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  if (!ok) throw new Error(`check failed: ${name} ${detail}`);
}

// Every request any page makes is recorded; one that leaves 127.0.0.1 is
// aborted and fails the test.
const requests = [];
const offsite = [];
async function guard(context) {
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    requests.push(url.href);
    if (url.hostname !== "127.0.0.1" || !["http:", "https:"].includes(url.protocol)) {
      offsite.push(url.href);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  context.on("request", (r) => {
    const u = new URL(r.url());
    if (u.hostname !== "127.0.0.1" && !u.protocol.startsWith("data")) offsite.push(r.url());
  });
  context.on("websocket", (ws) => offsite.push(`websocket ${ws.url()}`));
}

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  await guard(context);
  const page = await context.newPage();
  page.on("pageerror", (e) => {
    summary.pageErrors = (summary.pageErrors ?? 0) + 1;
    log("page error:", e.message);
  });
  page.on("console", (m) => {
    if (m.type() === "error") log("console error:", m.text());
  });
  return page;
}

const num = async (page, testid) => Number((await page.getByTestId(testid).textContent()) ?? "0");

try {
  // ------------------------------------------------ the picture on the map
  const a = await newPage();
  await a.goto(CONSOLE_URL);
  await a.waitForFunction(() => Number(document.querySelector('[data-testid="vessel-count"]')?.textContent) >= 50, null, {
    timeout: 60_000,
  });
  check("map shows vessels", (await num(a, "vessel-count")) >= 50, `${await num(a, "vessel-count")} vessels`);
  await a.waitForFunction(() => Number(document.querySelector('[data-testid="dark-count"]')?.textContent) >= 1, null, { timeout: 90_000 });
  // A dark track is on the map as a feature (not only counted).
  const darkOnMap = await a.evaluate(() => {
    const { map } = window.__lookout;
    const src = map.map.getAllLayers().at(-1).getSource();
    return src.getFeatures().filter((f) => f.get("t").v.mmsi === 0 || !f.get("t").v.aisCorrelated).length;
  });
  check("a dark track is drawn", darkOnMap >= 1, `${darkOnMap} dark track(s) on the map`);
  await a.getByTestId("health-tracks").and(a.locator('[data-state="live"]')).waitFor();
  await a.screenshot({ path: join(OUT, "1-picture.png") });

  // ------------------------------------------------------------ alerts
  await a.getByTestId("alert").first().waitFor({ timeout: 120_000 });
  // The second console is open before the acknowledgement, so it must hear
  // of it as a change on its stream.
  const b = await newPage();
  await b.goto(CONSOLE_URL);
  await b.getByTestId("alert").first().waitFor({ timeout: 30_000 });
  const row = a.locator('[data-testid="alert"][data-acknowledged="false"]').first();
  await row.waitFor({ timeout: 60_000 });
  const alertId = await row.getAttribute("data-alert-id");
  const kind = await row.getAttribute("data-kind");
  await row.click();
  await a.getByTestId("ack").waitFor();
  // The map flew to the alert.
  await a.waitForTimeout(1200);
  const flown = await a.evaluate((id) => {
    const { map, alerts } = window.__lookout;
    const al = alerts.alerts.get(Number(id));
    const c = map.map.getView().getCenter();
    const lon = (c[0] / 6378137) * (180 / Math.PI);
    const lat = (Math.atan(Math.exp(c[1] / 6378137)) * 2 - Math.PI / 2) * (180 / Math.PI);
    return { dLat: Math.abs(lat - al.position.latDeg), dLon: Math.abs(lon - al.position.lonDeg) };
  }, alertId);
  check("clicking an alert flies the map to it", flown.dLat < 0.01 && flown.dLon < 0.01, JSON.stringify(flown));
  await a.locator('[data-field="by"]').fill("e2e-watch-officer");
  await a.getByTestId("ack-note").fill("patrol boat tasked (e2e)");
  await a.screenshot({ path: join(OUT, "2-alert-selected.png") });
  await a.getByTestId("ack").click();
  await a.locator(`[data-testid="alert"][data-alert-id="${alertId}"][data-acknowledged="true"]`).waitFor({ timeout: 15_000 });
  check("alert acknowledged", true, `#${alertId} ${kind}`);
  await b.locator(`[data-testid="alert"][data-alert-id="${alertId}"][data-acknowledged="true"]`).waitFor({ timeout: 15_000 });
  check("second console sees the acknowledgement", true, `#${alertId}`);
  await b.locator(`[data-testid="alert"][data-alert-id="${alertId}"]`).click();
  await b.getByTestId("acked-by").waitFor();
  const ackText = await b.getByTestId("acked-by").textContent();
  check("acknowledgement carries who and the note", /e2e-watch-officer/.test(ackText) && /patrol boat tasked/.test(ackText), ackText);
  await b.screenshot({ path: join(OUT, "3-second-console-ack.png") });
  await b.context().close();

  // ------------------------------------------------ rescue: vessels near
  const LAT = 35.35, LON = 12.5, RADIUS_NM = 30, MAX = 50;
  await a.getByRole("tab", { name: "Rescue" }).click();
  await a.getByTestId("near-lat").fill(String(LAT));
  await a.getByTestId("near-lon").fill(String(LON));
  await a.getByTestId("near-radius").fill(String(RADIUS_NM));
  await a.locator('input[name="max"]').fill(String(MAX));
  await a.getByTestId("near-go").click();
  await a.getByTestId("near-row").first().waitFor({ timeout: 15_000 });
  const pageRows = await a.getByTestId("near-row").evaluateAll((rows) =>
    rows.map((r) => ({ id: r.dataset.mmsi === "0" ? `T${r.dataset.trackId}` : r.dataset.mmsi, nm: Number(r.dataset.distanceNm) })),
  );
  // The same question over gRPC, straight after (the recording plays on
  // at 20x, so ships have moved up to a hundred metres meanwhile).
  // `--json`: one object per line, the machine-readable form (the table is for people
  // and carries a legend).
  const cli = execFileSync(env("LOOKOUT_BIN"), ["near", String(LAT), String(LON), "--radius", `${RADIUS_NM}nm`, "--max", String(MAX), "--json", "--server", env("GRPC_URL")], {
    encoding: "utf8",
  });
  const cliRows = cli
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const h = JSON.parse(l);
      const v = h.vessel ?? {};
      if (typeof h.distance_nm !== "number") throw new Error(`cannot read this lookout near --json line: ${l}`);
      return { id: v.mmsi ? String(v.mmsi) : `T${v.track_id}`, nm: h.distance_nm };
    });
  writeFileSync(join(OUT, "near.txt"), `page:\n${JSON.stringify(pageRows, null, 1)}\n\nlookout near:\n${cli}`);
  const TOL = 0.3; // nm
  const edge = (r) => Math.abs(r.nm - RADIUS_NM) < TOL;
  const pageIds = new Map(pageRows.map((r) => [r.id, r.nm]));
  const cliIds = new Map(cliRows.map((r) => [r.id, r.nm]));
  const onlyPage = pageRows.filter((r) => !cliIds.has(r.id) && !edge(r)).map((r) => r.id);
  const onlyCli = cliRows.filter((r) => !pageIds.has(r.id) && !edge(r)).map((r) => r.id);
  const far = pageRows.filter((r) => cliIds.has(r.id) && Math.abs(cliIds.get(r.id) - r.nm) > TOL).map((r) => r.id);
  check(
    "near query lists the ships VesselsNear answers",
    pageRows.length >= 3 && onlyPage.length === 0 && onlyCli.length === 0 && far.length === 0,
    `${pageRows.length} rows on the page, ${cliRows.length} from lookout near; only page ${onlyPage}, only CLI ${onlyCli}, distance off ${far}`,
  );
  const sortedOk = pageRows.every((r, i) => i === 0 || pageRows[i - 1].nm <= r.nm + 1e-9);
  check("near rows nearest first", sortedOk);
  await a.screenshot({ path: join(OUT, "4-near.png") });

  // ----------------------------------- the vessel panel's trail from the archive
  await a.locator('[data-testid="near-row"]:not([data-mmsi="0"])').first().click();
  const trail = a.getByTestId("history-trail");
  await trail.waitFor({ timeout: 15_000 });
  const trailPoints = Number(await trail.getAttribute("data-points"));
  check("the vessel panel shows the archived trail", trailPoints >= 2, `${trailPoints} positions: ${await trail.textContent()}`);
  await a.screenshot({ path: join(OUT, "5-history-trail.png") });

  // ------------------------------------------------------------- replay
  await a.getByRole("tab", { name: "Replay" }).click();
  // The suggested window: the last 15 minutes of the service's time.
  const from = await a.getByTestId("replay-from").inputValue();
  await a.getByTestId("replay-speed").selectOption("300");
  await a.getByTestId("replay-go").click();
  const clock = a.getByTestId("replay-clock");
  await clock.filter({ hasText: /^REPLAY \d\d:\d\d$/ }).waitFor({ timeout: 10_000 });
  await a.waitForFunction(() => Number(document.querySelector('[data-testid="vessel-count"]')?.textContent) >= 20, null, { timeout: 15_000 });
  const replayed = await num(a, "vessel-count");
  const c0 = Number(await clock.getAttribute("data-ms"));
  await a.waitForTimeout(2000);
  const c1 = Number(await clock.getAttribute("data-ms"));
  check(
    "the replay shows vessels and its clock advances",
    replayed >= 20 && c1 - c0 >= 60_000 && (await a.getByTestId("health-tracks").getAttribute("data-state")) !== "live",
    `from ${from}, ${replayed} vessels, clock ${new Date(c0).toISOString()} -> ${new Date(c1).toISOString()} (${await clock.textContent()})`,
  );
  await a.screenshot({ path: join(OUT, "6-replay.png") });
  await a.getByTestId("replay-live").click();
  await a.getByTestId("health-tracks").and(a.locator('[data-state="live"]')).waitFor({ timeout: 15_000 });
  check("back to live", await clock.isHidden(), `${await num(a, "vessel-count")} vessels`);

  // ----------------------------------------------- a lost contact and its datum
  await ask("PUSH-LOST", "PUSHED");
  const lost = a.locator('[data-testid="alert"][data-state="CONTACT_LOST"]').first();
  await lost.waitFor({ timeout: 20_000 });
  const datum = lost.getByTestId("alert-datum");
  check(
    "a CONTACT_LOST alert shows in the list with its datum",
    (await datum.count()) === 1 && Number(await datum.getAttribute("data-radius-nm")) > 0,
    await datum.textContent(),
  );
  await a.screenshot({ path: join(OUT, "7-contact-lost.png") });
  await a.context().close();

  // ------------------------------------------------- tokens and roles
  const c = await newPage();
  await c.goto(AUTH_CONSOLE_URL);
  await c.getByTestId("token").waitFor({ timeout: 15_000 });
  check("the page asks for a token when operators are configured", await c.getByTestId("token").isVisible());
  await c.getByTestId("token").fill("not-a-token-of-this-service");
  await c.getByTestId("token-submit").click();
  await c.getByTestId("token-error").filter({ hasText: /refused/i }).waitFor({ timeout: 10_000 });
  const refused = await c.getByTestId("token-error").textContent();
  check("a bad token is refused", /refused/i.test(refused) && (await num(c, "vessel-count")) === 0, refused);
  await c.screenshot({ path: join(OUT, "8-token-refused.png") });
  await c.getByTestId("token").fill(env("VIEWER_TOKEN"));
  await c.getByTestId("token-submit").click();
  await c.locator('[data-testid="health-tracks"][data-state="live"]').waitFor({ timeout: 15_000 });
  await c.locator('[data-testid="health-alerts"][data-state="live"]').waitFor({ timeout: 15_000 });
  check("a good token opens the streams", await c.getByTestId("token").isHidden());
  await c.context().close();

  // ----------------------------------------------------------- offline
  check("every request stayed on 127.0.0.1", offsite.length === 0 && requests.length > 0, `${requests.length} requests, off-site: ${offsite.join(", ") || "none"}`);
  check("no uncaught page errors", !summary.pageErrors, `${summary.pageErrors ?? 0}`);
  summary.ok = true;
} catch (e) {
  summary.ok = false;
  summary.error = String(e?.stack ?? e);
  console.error(summary.error);
} finally {
  summary.seconds = (Date.now() - t0) / 1000;
  summary.requests = requests.length;
  writeFileSync(join(OUT, "summary.json"), JSON.stringify(summary, null, 2));
  await browser.close();
}
process.exit(summary.ok ? 0 : 1);
