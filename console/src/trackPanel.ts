// The track panel: identity, static data, kinematics, the sensors that see
// it, persons on board, its alerts, and its trail.

import { AisClass, SensorKind, TrackStatus, type Alert } from "./gen/lookout/v1/lookout_pb";
import type { Track } from "./tracks";
import { serverNow } from "./clock";
import { esc, fmtAge, fmtDeg, fmtKn, fmtPos, fmtUtcDateTime } from "./format";
import { CATEGORY, DETECTED_CLASS_NAME, NAV_STATUS, SHIP_CLASS_NAME, category, displayName, isDark } from "./vessel";
import { KIND_NAME, SEVERITY_NAME, isLive } from "./alerts";

export const SENSOR_KIND_NAME: Record<number, string> = {
  [SensorKind.SENSOR_KIND_UNSPECIFIED]: "sensor",
  [SensorKind.RADAR]: "radar",
  [SensorKind.DRONE]: "drone",
  [SensorKind.EO_IR]: "EO/IR camera",
  [SensorKind.AIRCRAFT]: "aircraft",
  [SensorKind.SAR_SATELLITE]: "SAR satellite",
  [SensorKind.OTHER]: "other",
};

const AIS_CLASS_NAME: Record<number, string> = {
  [AisClass.UNSPECIFIED]: "–",
  [AisClass.A]: "class A",
  [AisClass.B]: "class B",
  [AisClass.SAR_AIRCRAFT]: "SAR aircraft",
  [AisClass.ATON]: "aid to navigation",
  [AisClass.BASE_STATION]: "base station",
};

function row(k: string, v: string | undefined): string {
  return v === undefined || v === "" ? "" : `<dt>${k}</dt><dd>${v}</dd>`;
}

/** A vessel's trail from the archive (`VesselHistory`), as the panel shows it. */
export interface HistoryTrail {
  mmsi: number;
  /** Positions fetched, or why none. */
  points: number;
  from: number;
  to: number;
  error?: string;
}

export function renderTrackPanel(
  box: HTMLElement,
  t: Track | undefined,
  alerts: Alert[],
  goneId: number | null,
  history: HistoryTrail | null = null,
): void {
  if (!t) {
    box.innerHTML =
      goneId !== null
        ? `<p class="muted">Track T${goneId} has left the picture (aged out, lost, or merged into an AIS vessel).</p>`
        : `<p class="muted">Click a vessel or track on the map.</p>`;
    return;
  }
  const v = t.v;
  const now = serverNow();
  const dark = isDark(v);
  const sd = v.staticData;
  const cat = category(v);
  const pob = v.personsOnBoard;
  const len = sd?.lengthM ?? undefined;
  const dims = len !== undefined ? `${len.toFixed(0)} m${sd?.beamM !== undefined ? ` × ${sd.beamM.toFixed(0)} m` : ""}` : undefined;
  const trail = t.trail;
  const sensors = [...v.sensors].sort((a, b) => Number(b.lastUnixMs - a.lastUnixMs));
  box.innerHTML =
    `<div class="track-head ${dark ? "dark" : ""}" data-testid="track-panel" data-track-id="${t.id}">` +
    `<span class="swatch" style="background:${CATEGORY[cat].colour}"></span>` +
    `<div><div class="name">${esc(displayName(v))}</div>` +
    `<div class="sub">${dark ? "No AIS: a track only radar or drones explain" : `MMSI ${v.mmsi} · ${AIS_CLASS_NAME[v.aisClass]}`} · track T${t.id} · ${v.trackStatus === TrackStatus.TENTATIVE ? "tentative" : "confirmed"}</div></div></div>` +
    (pob
      ? `<div class="pob-box ${pob.overcrowded ? "over" : ""}"><div class="pob big">POB ${pob.estimate} <span class="interval">(${pob.low}–${pob.high}, 90 %)</span></div>` +
        `<div>${pob.safeCapacity !== undefined ? `safe capacity ${pob.safeCapacity}` : "safe capacity unknown"}${pob.overcrowded ? " · <b>OVERCROWDED</b>" : ""}</div>` +
        (pob.evidence.length ? `<ul class="evidence">${pob.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>` : "") +
        `</div>`
      : "") +
    `<h3>Position</h3><dl class="kv">` +
    row("Position", v.position ? fmtPos(v.position.latDeg, v.position.lonDeg) : "none yet") +
    row("Report", v.positionUnixMs !== undefined ? `${fmtAge(now - Number(v.positionUnixMs))} ago` : undefined) +
    row("SOG / COG", `${fmtKn(v.sogKn)} / ${fmtDeg(v.cogDeg)}`) +
    row("Heading", v.headingDeg !== undefined && v.headingDeg < 360 ? fmtDeg(v.headingDeg) : undefined) +
    row("Status", v.navStatus !== undefined ? esc(NAV_STATUS[v.navStatus] ?? String(v.navStatus)) : undefined) +
    row("Last source", esc(v.lastSource)) +
    `</dl>` +
    `<h3>Identity</h3><dl class="kv">` +
    (dark
      ? row("Judged as", DETECTED_CLASS_NAME[v.detectedClass])
      : row("Type", `${SHIP_CLASS_NAME[sd?.shipClass ?? 0]}${sd?.shipType !== undefined ? ` (${sd.shipType})` : ""}`) +
        row("Call sign", sd?.callsign ? esc(sd.callsign) : undefined) +
        row("IMO", sd?.imo ? String(sd.imo) : undefined) +
        row("Destination", sd?.destination ? esc(sd.destination) : undefined) +
        row("Draught", sd?.draughtM !== undefined ? `${sd.draughtM.toFixed(1)} m` : undefined) +
        row("Sensors judge", v.detectedClass ? DETECTED_CLASS_NAME[v.detectedClass] : undefined)) +
    row("Size", dims) +
    `</dl>` +
    `<h3>Seen by</h3>` +
    (sensors.length
      ? `<ul class="sensors">${sensors
          .map((s) => `<li><b>${esc(s.sensorId)}</b> ${SENSOR_KIND_NAME[s.sensorKind]} · ${s.hits} hits · ${fmtAge(now - Number(s.lastUnixMs))} ago</li>`)
          .join("")}</ul>`
      : `<p class="muted">${dark ? "no sensor listed" : "AIS only"}</p>`) +
    `<h3>Alerts</h3>` +
    (alerts.length
      ? `<ul class="track-alerts">${alerts
          .map(
            (a) =>
              `<li><button class="link" data-act="alert" data-alert="${a.alertId}">#${a.alertId} ${esc(KIND_NAME[a.kind])}</button> ${SEVERITY_NAME[a.severity]}${isLive(a) ? "" : " (ended)"}${a.acknowledged ? " · ack" : ""}</li>`,
          )
          .join("")}</ul>`
      : `<p class="muted">none</p>`) +
    `<h3>Trail</h3>` +
    `<p class="muted" data-testid="trail-info">${trail.length} position${trail.length === 1 ? "" : "s"} seen live by this console since ${
      trail.since ? fmtUtcDateTime(trail.since) : "–"
    }.</p>` +
    historyNote(v.mmsi, dark, history);
}

function historyNote(mmsi: number, dark: boolean, h: HistoryTrail | null): string {
  if (dark) return `<p class="muted history-note">No archived history: the archive keeps AIS vessels' positions by MMSI.</p>`;
  if (!h || h.mmsi !== mmsi) return `<p class="muted history-note">Loading the archived trail…</p>`;
  if (h.error) return `<p class="muted history-note" data-testid="history-trail" data-points="0">${esc(h.error)}</p>`;
  return (
    `<p class="history-note" data-testid="history-trail" data-points="${h.points}">History (archive, dotted on the map): ` +
    `${h.points} position${h.points === 1 ? "" : "s"}, one a minute, ${fmtUtcDateTime(h.from)} – ${fmtUtcDateTime(h.to)}.</p>`
  );
}
