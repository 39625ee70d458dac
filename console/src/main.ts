// Lookout operations-centre console: wiring of streams, stores, map and panels.
import "./style.css";
import { api, Code, codeOf, currentToken, messageOf, setToken } from "./api";
import { AlertList, AlertStore, renderAlertDetail, isLive } from "./alerts";
import { clockRate, serverNow, setClockOverride } from "./clock";
import { esc, fmtAge, fmtPos, fmtUtc } from "./format";
import { SensorKind, type Alert, type AlertEvent, type Sensor, type StaticData, type TrackEvent } from "./gen/lookout/v1/lookout_pb";
import { ConsoleMap, DRONE_LOOK_MS, DRONE_VIEW_M, type DroneLook } from "./map";
import { RescuePanel } from "./rescue";
import { ReplayPanel } from "./replay";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { StreamHealth, runStream } from "./streams";
import { SENSOR_KIND_NAME, renderTrackPanel, type HistoryTrail } from "./trackPanel";
import { TrackStore } from "./tracks";
import { CATEGORY, isDark } from "./vessel";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** The page applies stream updates to the map at most this often (ms). */
const FLUSH_MS = 250;
/** How far back the vessel panel's archived trail reaches (ms of service time). */
const HISTORY_WINDOW_MS = 2 * 3_600_000;
/** Updates per vessel the service sends at most once per this interval (ms). */
const TRACK_MIN_INTERVAL_MS = 1000;

const tracks = new TrackStore();
const alerts = new AlertStore();
const cmap = new ConsoleMap($("map"), tracks);
const tracksHealth = new StreamHealth("Tracks");
const alertsHealth = new StreamHealth("Alerts");

let selectedTrack: number | null = null;
let goneTrack: number | null = null;
let selectedAlert: number | null = null;
let renderedAlertVersion = "";
let alertsDirty = true;
let trackPanelDirty = true;
let picking = false;
let sensors: Sensor[] = [];
const droneLooks = new Map<string, DroneLook>();

const alertList = new AlertList($("alert-list") as HTMLOListElement, $("kind-filter"), alerts, (a) => selectAlert(a, true));

// ------------------------------------------------------------------ tabs

function showTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>(".tabs button")) {
    b.classList.toggle("active", b.dataset.tab === name);
    b.setAttribute("aria-selected", String(b.dataset.tab === name));
  }
  for (const t of ["track", "rescue", "sensors", "replay"]) $(`tab-${t}`).hidden = t !== name;
  if (name === "replay") replay.suggest(serverNow());
}
for (const b of document.querySelectorAll<HTMLButtonElement>(".tabs button")) {
  b.addEventListener("click", () => showTab(b.dataset.tab!));
}

// ------------------------------------------------------------- selection

function selectTrack(id: number | null, fly = false): void {
  selectedTrack = id;
  goneTrack = null;
  cmap.select(id);
  trackPanelDirty = true;
  history = null;
  cmap.setHistory([]);
  const v = id !== null ? tracks.tracks.get(id)?.v : undefined;
  if (v && !isDark(v)) void loadHistory(v.mmsi);
  if (id !== null) {
    showTab("track");
    const p = tracks.tracks.get(id)?.v.position;
    if (fly && p) cmap.flyTo(p.lonDeg, p.latDeg);
  }
}

function selectAlert(a: Alert, fly: boolean): void {
  selectedAlert = Number(a.alertId);
  alertList.selected = selectedAlert;
  renderedAlertVersion = "";
  alertsDirty = true;
  if (fly && a.position) cmap.flyTo(a.position.lonDeg, a.position.latDeg, 11);
  const tid = a.trackId !== undefined ? Number(a.trackId) : a.trackIds.length ? Number(a.trackIds[0]) : null;
  if (tid !== null && tracks.tracks.has(tid)) selectTrack(tid);
}

cmap.onClick(({ trackId, alertId, lon, lat }) => {
  if (picking) {
    rescue.setPoint(lat, lon);
    return;
  }
  if (trackId !== undefined) selectTrack(trackId);
  else if (alertId !== undefined) {
    const a = alerts.alerts.get(alertId);
    if (a) selectAlert(a, false);
  } else selectTrack(null);
});

// ---------------------------------------------------------- history trail

let history: HistoryTrail | null = null;

/** The selected vessel's trail from the archive (VesselHistory), drawn dotted on the map. */
async function loadHistory(mmsi: number): Promise<void> {
  const to = serverNow();
  const from = to - HISTORY_WINDOW_MS;
  let h: HistoryTrail;
  let pts: [number, number][] = [];
  try {
    const r = await api.vesselHistory({ mmsi, from: timestampFromMs(Math.round(from)), to: timestampFromMs(Math.round(to) + 1000) });
    pts = r.points.map((p) => [p.lonDeg, p.latDeg]);
    const times = r.points.map((p) => (p.time ? timestampDate(p.time).getTime() : 0));
    h = { mmsi, points: pts.length, from: times[0] ?? from, to: times.at(-1) ?? to };
  } catch (e) {
    const code = codeOf(e);
    const why =
      code === Code.PermissionDenied
        ? "No archived trail: VesselHistory needs the analyst role."
        : code === Code.FailedPrecondition
          ? "No archived trail: this service keeps no archive."
          : `No archived trail: ${messageOf(e)}`;
    h = { mmsi, points: 0, from, to, error: why };
  }
  // The operator may have moved on meanwhile.
  const still = selectedTrack !== null && tracks.tracks.get(selectedTrack)?.v.mmsi === mmsi;
  if (!still) return;
  history = h;
  cmap.setHistory(pts);
  trackPanelDirty = true;
}

// ---------------------------------------------------------------- replay

const replay = new ReplayPanel($("tab-replay"), $("replay-banner"), {
  enter: () => {
    // The static data of the live picture, so replayed vessels keep their class and name.
    liveStatic.clear();
    for (const t of tracks.tracks.values()) if (t.v.mmsi && t.v.staticData) liveStatic.set(t.v.mmsi, t.v.staticData);
    streams?.abort();
    streams = null;
    for (const h of [tracksHealth, alertsHealth]) h.state = "connecting";
    setClockOverride(() => replay.now());
    clearPicture();
  },
  leave: () => {
    setClockOverride(null);
    clearPicture();
    startStreams();
  },
  clear: clearPicture,
  position: (v) => tracks.putVessel(v),
  alert: (a) => {
    if (alerts.put(a)) alertsDirty = true;
  },
  staticOf: (mmsi) => liveStatic.get(mmsi),
});
const liveStatic = new Map<number, StaticData>();

function clearPicture(): void {
  tracks.clear();
  alerts.clear();
  selectTrack(null);
  selectedAlert = null;
  alertList.selected = null;
  alertsDirty = true;
  droneLooks.clear();
}

// ---------------------------------------------------------------- rescue

const rescue = new RescuePanel($("tab-rescue"), {
  show: (p, r, results) => cmap.setRescue(p, r, results),
  pick: (on) => {
    picking = on;
    $("pick-hint").hidden = !on;
    cmap.setCursor(on ? "crosshair" : "");
  },
  selectTrack: (id) => selectTrack(id, true),
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && picking) rescue.setPicking(false);
});

// ---------------------------------------------------------- alert detail

const detail = $("alert-detail");
const OPERATOR_KEY = "lookout.operator";

function renderDetail(): void {
  const a = selectedAlert !== null ? alerts.alerts.get(selectedAlert) : undefined;
  if (!a) {
    detail.hidden = true;
    renderedAlertVersion = "";
    return;
  }
  const key = `${a.alertId}:${a.version}`;
  if (key === renderedAlertVersion) return;
  // Keep what the operator is typing across a new version of the alert.
  const note = detail.querySelector<HTMLTextAreaElement>('[data-field="note"]')?.value ?? "";
  const sameAlert = renderedAlertVersion.startsWith(`${a.alertId}:`);
  renderAlertDetail(detail, a, localStorage.getItem(OPERATOR_KEY) ?? "");
  if (sameAlert) detail.querySelector<HTMLTextAreaElement>('[data-field="note"]')!.value = note;
  renderedAlertVersion = key;
  detail.hidden = false;
}

detail.addEventListener("click", async (e) => {
  const btn = (e.target as HTMLElement).closest("button[data-act]") as HTMLButtonElement | null;
  if (!btn || selectedAlert === null) return;
  const a = alerts.alerts.get(selectedAlert);
  if (!a) return;
  switch (btn.dataset.act) {
    case "close":
      selectedAlert = null;
      alertList.selected = null;
      alertsDirty = true;
      break;
    case "track": {
      const id = Number(btn.dataset.track);
      if (tracks.tracks.has(id)) selectTrack(id, true);
      else {
        selectTrack(null);
        goneTrack = id;
        showTab("track");
      }
      break;
    }
    case "near":
      if (a.position) {
        showTab("rescue");
        rescue.setPoint(a.position.latDeg, a.position.lonDeg);
      }
      break;
    case "ack":
      await acknowledge(a, btn, false);
      break;
    case "close-incident":
      await acknowledge(a, btn, true);
      break;
  }
});

/** Acknowledges `a`; with `close`, also ends the incident (the service wants a note then). */
async function acknowledge(a: Alert, btn: HTMLButtonElement, close: boolean): Promise<void> {
  const by = detail.querySelector<HTMLInputElement>('[data-field="by"]')!.value.trim();
  const note = detail.querySelector<HTMLTextAreaElement>('[data-field="note"]')!.value.trim();
  const status = detail.querySelector<HTMLElement>(".ack-status")!;
  // A replayed alert is history: acknowledging it would write on today's alert of that id.
  if (replay.replaying) {
    status.textContent = "This is a replay: go back to live to acknowledge.";
    status.className = "ack-status error";
    return;
  }
  if (!by) {
    status.textContent = "Enter your name or centre.";
    status.className = "ack-status error";
    return;
  }
  if (close && !note) {
    status.textContent = "Say in the note why the incident ends.";
    status.className = "ack-status error";
    return;
  }
  localStorage.setItem(OPERATOR_KEY, by);
  btn.disabled = true;
  status.textContent = "Sending…";
  status.className = "ack-status";
  try {
    const updated = await api.acknowledgeAlert({ alertId: a.alertId, by, note, close });
    // The same version also arrives on the stream, for every console.
    alerts.put(updated);
    alertsDirty = true;
    status.textContent = "";
  } catch (e) {
    const code = codeOf(e);
    status.textContent =
      code === Code.PermissionDenied
        ? "Refused: your token does not have the operator role."
        : code === Code.Unauthenticated
          ? "Refused: sign in again."
          : `Refused: ${messageOf(e)}`;
    status.className = "ack-status error";
    if (code === Code.Unauthenticated) askToken("Your token was refused.");
  } finally {
    btn.disabled = false;
  }
}

$("show-ended").addEventListener("change", (e) => {
  alertList.showEnded = (e.target as HTMLInputElement).checked;
  alertsDirty = true;
});

// ------------------------------------------------------------ track panel

$("tab-track").addEventListener("click", (e) => {
  const btn = (e.target as HTMLElement).closest('button[data-act="alert"]') as HTMLButtonElement | null;
  const a = btn && alerts.alerts.get(Number(btn.dataset.alert));
  if (a) selectAlert(a, true);
});

tracks.onFlush((changed, removed) => {
  if (selectedTrack !== null && (changed.has(selectedTrack) || removed.has(selectedTrack))) trackPanelDirty = true;
  if (selectedTrack !== null && removed.has(selectedTrack)) {
    goneTrack = selectedTrack;
    selectedTrack = null;
    cmap.select(null);
  }
  noteDroneLooks(changed);
});

function renderTrack(): void {
  const t = selectedTrack !== null ? tracks.tracks.get(selectedTrack) : undefined;
  const list = t ? alerts.forTrack(t.id, t.v.mmsi) : [];
  renderTrackPanel($("tab-track"), t, list, goneTrack, history);
}

// ---------------------------------------------------------- drone looks

/** A drone's look at a track: drawn as its (assumed) camera footprint for a while. */
function noteDroneLooks(changed: Set<number>): void {
  for (const id of changed) {
    const v = tracks.tracks.get(id)?.v;
    if (!v?.position) continue;
    for (const s of v.sensors) {
      if (s.sensorKind !== SensorKind.DRONE) continue;
      const at = Number(s.lastUnixMs);
      const key = `${s.sensorId}|${at}`;
      if (!droneLooks.has(key)) droneLooks.set(key, { lon: v.position.lonDeg, lat: v.position.latDeg, at, sensor: s.sensorId });
    }
  }
}

let drawnLooks = "";
function refreshDroneLooks(): void {
  const cutoff = serverNow() - DRONE_LOOK_MS;
  for (const [k, l] of droneLooks) if (l.at < cutoff) droneLooks.delete(k);
  const keys = [...droneLooks.keys()].join();
  if (keys === drawnLooks) return;
  drawnLooks = keys;
  cmap.setDroneLooks([...droneLooks.values()]);
}

// --------------------------------------------------------------- sensors

async function pollSensors(): Promise<void> {
  try {
    const r = await api.listSensors({});
    const before = JSON.stringify(sensors.map((s) => [s.sensorId, s.site?.latDeg, s.site?.lonDeg, s.rangeM]));
    sensors = r.sensors;
    const after = JSON.stringify(sensors.map((s) => [s.sensorId, s.site?.latDeg, s.site?.lonDeg, s.rangeM]));
    if (before !== after) cmap.setSensors(sensors);
    renderSensors();
  } catch (e) {
    if (codeOf(e) === Code.Unauthenticated) askToken(messageOf(e));
  }
}

function renderSensors(): void {
  const now = serverNow();
  $("tab-sensors").innerHTML =
    `<h3>Sensors</h3>` +
    (sensors.length
      ? `<ul class="sensors">${sensors
          .map(
            (s) =>
              `<li><b>${esc(s.sensorId)}</b> ${SENSOR_KIND_NAME[s.sensorKind]}` +
              (s.site ? ` at ${fmtPos(s.site.latDeg, s.site.lonDeg)}` : "") +
              (s.rangeM ? `, range ${(s.rangeM / 1852).toFixed(0)} nm` : s.site ? ", range not configured" : "") +
              `<br><span class="muted">${s.tracksSeen} track${s.tracksSeen === 1 ? "" : "s"} in the picture${
                s.lastUnixMs !== undefined ? ` · last look ${fmtAge(now - Number(s.lastUnixMs))} ago` : ""
              }</span></li>`,
          )
          .join("")}</ul>`
      : `<p class="muted">No sensor known yet.</p>`) +
    `<p class="muted">Radar rings: configured instrumented range. Drone areas: ${DRONE_VIEW_M / 1000} km (assumed camera range) around each look of the last ${
      DRONE_LOOK_MS / 60000
    } min, from the tracks the drone saw.</p>`;
}

// ---------------------------------------------------------------- legend

$("legend").insertAdjacentHTML(
  "beforeend",
  Object.values(CATEGORY)
    .map((c) => `<span><i style="background:${c.colour}"></i>${c.label}</span>`)
    .join("") +
    `<span><i class="ring radar"></i>Radar coverage</span><span><i class="ring drone"></i>Drone looks</span>`,
);

// ----------------------------------------------------------------- streams

let streams: AbortController | null = null;

function startStreams(): void {
  streams?.abort();
  const ctl = new AbortController();
  streams = ctl;
  tracksHealth.reconnects = 0;
  alertsHealth.reconnects = 0;
  void runStream<TrackEvent>(
    {
      health: tracksHealth,
      open: (signal) => api.subscribeTracks({ minIntervalMs: TRACK_MIN_INTERVAL_MS }, { signal }),
      onOpen: () => tracks.beginSnapshot(),
      onMessage: (m) => {
        if (m.event.case === "heartbeat") tracksHealth.lastHeartbeat = performance.now();
        if (m.event.case === "missed") noteMissed(tracksHealth, Number(m.event.value.updatesMissed));
        tracks.apply(m);
      },
      onUnauthenticated: askToken,
      onChange: renderHealth,
    },
    ctl.signal,
  );
  void runStream<AlertEvent>(
    {
      health: alertsHealth,
      open: (signal) => api.subscribeAlerts({}, { signal }),
      onOpen: () => alerts.beginSnapshot(),
      onMessage: (m) => {
        if (m.event.case === "heartbeat") alertsHealth.lastHeartbeat = performance.now();
        if (m.event.case === "missed") noteMissed(alertsHealth, Number(m.event.value.changesMissed));
        if (alerts.apply(m)) alertsDirty = true;
        if (alerts.endedWhileAway.length) void fetchEnded(alerts.endedWhileAway.splice(0));
      },
      onUnauthenticated: askToken,
      onChange: renderHealth,
    },
    ctl.signal,
  );
  void pollSensors();
}

/** The final state of alerts that ended while the stream was down. */
async function fetchEnded(ids: number[]): Promise<void> {
  try {
    const r = await api.listAlerts({ includeEnded: true, maxResults: 10000 });
    const byId = new Map(r.alerts.map((a) => [Number(a.alertId), a]));
    for (const id of ids) {
      const a = byId.get(id);
      if (a) alerts.put(a);
      else alerts.alerts.delete(id); // no longer held by the service
    }
    alertsDirty = true;
  } catch {
    // Kept as last known; the next reconnect tries again.
  }
}

function noteMissed(h: StreamHealth, n: number): void {
  h.missedTotal += n;
  h.lastMissed = { n, at: Date.now() };
  renderHealth();
}

function renderHealth(): void {
  const now = performance.now();
  for (const [h, el] of [
    [tracksHealth, $("health-tracks")],
    [alertsHealth, $("health-alerts")],
  ] as const) {
    const age = h.lastHeartbeat ? (now - h.lastHeartbeat) / 1000 : -1;
    let cls = "ok";
    let text: string;
    switch (h.state) {
      case "live":
        text = age < 0 ? "live" : `live · heartbeat ${age.toFixed(0)} s ago`;
        if (age > 12) cls = "warn";
        if (age > 30) cls = "bad";
        break;
      case "connecting":
        text = "connecting…";
        cls = "warn";
        break;
      case "retrying":
        text = `reconnecting${h.error ? ` (${h.error})` : ""}`;
        cls = "bad";
        break;
      case "signin":
        text = "sign-in needed";
        cls = "bad";
        break;
      case "denied":
        text = `refused: ${h.error}`;
        cls = "bad";
        break;
    }
    el.className = `stream ${cls}`;
    el.dataset.state = h.state;
    el.innerHTML = `<i></i>${h.name}: ${esc(text)}`;
  }
  const notices = [tracksHealth, alertsHealth]
    .filter((h) => h.lastMissed && Date.now() - h.lastMissed.at < 120_000)
    .map((h) => `${h.name}: missed ${h.lastMissed!.n} (${h.missedTotal} in all), resynchronised at ${fmtUtc(h.lastMissed!.at)}`);
  const missed = $("missed");
  missed.hidden = notices.length === 0;
  missed.textContent = notices.join(" · ");
}

// ------------------------------------------------------------------ token

const modal = $("token-modal");
const tokenInput = $<HTMLInputElement>("token-input");
const tokenError = $("token-error");

function askToken(message: string): void {
  if (!modal.hidden) return;
  streams?.abort();
  for (const h of [tracksHealth, alertsHealth]) h.state = "signin";
  renderHealth();
  tokenError.textContent = currentToken() ? `Token refused: ${message}` : "";
  modal.hidden = false;
  tokenInput.focus();
}

$("token-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const t = tokenInput.value.trim();
  if (!t) {
    tokenError.textContent = "Enter a token.";
    return;
  }
  setToken(t);
  tokenError.textContent = "Checking…";
  try {
    await api.listSensors({});
  } catch (err) {
    const code = codeOf(err);
    tokenError.textContent =
      code === Code.Unauthenticated ? `Token refused: ${messageOf(err)}` : code === Code.PermissionDenied ? `Token lacks the viewer role: ${messageOf(err)}` : `Cannot reach the service: ${messageOf(err)}`;
    if (code === Code.Unauthenticated || code === Code.PermissionDenied) setToken("");
    return;
  }
  tokenError.textContent = "";
  tokenInput.value = "";
  modal.hidden = true;
  $("signout").hidden = false;
  startStreams();
});

$("signout").addEventListener("click", () => {
  setToken("");
  $("signout").hidden = true;
  startStreams();
});
$("signout").hidden = !currentToken();

// ----------------------------------------------------------------- frame loop

let lastFlush = 0;
let lastSecond = 0;
let lastTrails = 0;

function frame(now: number): void {
  if (now - lastFlush >= FLUSH_MS) {
    lastFlush = now;
    tracks.flush();
    $("vessel-count").textContent = String(cmap.vesselCount());
    $("dark-count").textContent = String(tracks.darkCount());
    if (trackPanelDirty) {
      trackPanelDirty = false;
      renderTrack();
    }
  }
  // Alerts are few and urgent: drawn on the next frame, not on the flush tick.
  if (alertsDirty) {
    alertsDirty = false;
    alertList.render();
    cmap.setAlerts([...alerts.alerts.values()], selectedAlert);
    $("alert-count").textContent = String(alerts.liveCount());
    renderDetail();
    trackPanelDirty = true;
  }
  if (now - lastSecond >= 1000) {
    lastSecond = now;
    renderHealth();
    const rate = clockRate();
    $("clock").textContent = replay.replaying ? "" : `${fmtUtc(serverNow())} UTC${rate > 1.5 ? ` · ×${rate.toFixed(0)}` : ""}`;
    replay.tick();
    refreshDroneLooks();
    alertList.updateAges();
    if (!$("tab-sensors").hidden) renderSensors();
    if (selectedTrack !== null) trackPanelDirty = true; // report ages
  }
  if (now - lastTrails >= 10_000) {
    lastTrails = now;
    cmap.refreshTrails();
    void pollSensors();
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// Read-only hooks for the end-to-end test and the benchmark.
declare global {
  interface Window {
    __lookout: unknown;
  }
}
window.__lookout = { tracks, alerts, map: cmap, health: { tracks: tracksHealth, alerts: alertsHealth }, isLive, replay };

renderTrack();
showTab("track");
startStreams();
