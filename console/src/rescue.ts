// Rescue (SURPIC): who can reach a distress position? The operator types a
// position or picks it on the map, and a radius; VesselsNear answers with
// distance, course to steer, ETA and closest approach.

import { api, messageOf } from "./api";
import type { NearVessel, VesselsNearResponse } from "./gen/lookout/v1/lookout_pb";
import { M_PER_NM, esc, fmtAge, fmtDeg, fmtHm, fmtNm, fmtPos, parseCoord } from "./format";
import { countedPob, displayName, isDark, shortId } from "./vessel";

export interface RescueHooks {
  /** Draw the point, radius and results on the map. */
  show(point: { lat: number; lon: number } | null, radiusM: number, results: NearVessel[]): void;
  /** Start or stop picking the point on the map. */
  pick(on: boolean): void;
  selectTrack(trackId: number): void;
}

export class RescuePanel {
  private results: NearVessel[] = [];
  private point: { lat: number; lon: number } | null = null;
  private picking = false;
  private lat: HTMLInputElement;
  private lon: HTMLInputElement;
  private radius: HTMLInputElement;
  private max: HTMLInputElement;
  private status: HTMLElement;
  private table: HTMLElement;
  private pickBtn: HTMLButtonElement;

  constructor(box: HTMLElement, private hooks: RescueHooks) {
    box.innerHTML = `
      <form class="near-form" autocomplete="off">
        <p class="muted">Distress position: type it (35.35 or 35°21.0'N) or pick it on the map.</p>
        <div class="grid2">
          <label>Latitude <input data-testid="near-lat" name="lat" placeholder="35°21.0'N" /></label>
          <label>Longitude <input data-testid="near-lon" name="lon" placeholder="012°30.0'E" /></label>
          <label>Radius, nm <input data-testid="near-radius" name="radius" type="number" min="0.1" max="500" step="any" value="30" /></label>
          <label>At most <input name="max" type="number" min="1" max="1000" value="20" /></label>
        </div>
        <div class="actions">
          <button type="button" data-act="pick">Pick on map</button>
          <button type="submit" class="primary" data-testid="near-go">Find vessels</button>
        </div>
        <p class="status" data-testid="near-status"></p>
      </form>
      <div class="near-results"></div>`;
    this.lat = box.querySelector('[name="lat"]')!;
    this.lon = box.querySelector('[name="lon"]')!;
    this.radius = box.querySelector('[name="radius"]')!;
    this.max = box.querySelector('[name="max"]')!;
    this.status = box.querySelector(".status")!;
    this.table = box.querySelector(".near-results")!;
    this.pickBtn = box.querySelector('[data-act="pick"]')!;
    box.querySelector("form")!.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.query();
    });
    this.pickBtn.addEventListener("click", () => this.setPicking(!this.picking));
    this.table.addEventListener("click", (e) => {
      const tr = (e.target as HTMLElement).closest("tr[data-track-id]") as HTMLElement | null;
      if (tr) this.hooks.selectTrack(Number(tr.dataset.trackId));
    });
  }

  setPicking(on: boolean): void {
    this.picking = on;
    this.pickBtn.classList.toggle("active", on);
    this.hooks.pick(on);
  }

  /** A position picked on the map or taken from an alert: fill it in and ask. */
  setPoint(lat: number, lon: number, run = true): void {
    this.lat.value = lat.toFixed(5);
    this.lon.value = lon.toFixed(5);
    this.setPicking(false);
    if (run) void this.query();
  }

  async query(): Promise<void> {
    const lat = parseCoord(this.lat.value, "lat");
    const lon = parseCoord(this.lon.value, "lon");
    const radiusNm = Number(this.radius.value);
    const max = Math.round(Number(this.max.value) || 20);
    if (lat === undefined || lon === undefined) {
      this.status.textContent = "Position not understood: decimal degrees (35.35, -12.5) or 35°21.0'N / 012°30.0'E.";
      this.status.className = "status error";
      return;
    }
    if (!(radiusNm > 0 && radiusNm <= 500)) {
      this.status.textContent = "Radius: more than 0 and at most 500 nm.";
      this.status.className = "status error";
      return;
    }
    this.point = { lat, lon };
    this.status.textContent = "Asking the service…";
    this.status.className = "status";
    try {
      const r = await api.vesselsNear({ latDeg: lat, lonDeg: lon, radiusM: radiusNm * M_PER_NM, maxResults: max });
      this.results = r.vessels;
      this.render(r, radiusNm);
      this.hooks.show(this.point, radiusNm * M_PER_NM, this.results);
    } catch (e) {
      this.status.textContent = `Query refused: ${messageOf(e)}`;
      this.status.className = "status error";
    }
  }

  private render(r: VesselsNearResponse, radiusNm: number): void {
    const p = this.point!;
    this.status.textContent = `${r.totalInRadius} vessel${r.totalInRadius === 1 ? "" : "s"} within ${radiusNm} nm of ${fmtPos(p.lat, p.lon)}${
      r.totalInRadius > r.vessels.length ? ` (nearest ${r.vessels.length} shown)` : ""
    }.`;
    this.status.className = "status";
    if (!r.vessels.length) {
      this.table.innerHTML = "";
      return;
    }
    this.table.innerHTML =
      `<table class="near"><thead><tr><th>#</th><th>Vessel</th><th title="distance from the position, nm">Dist nm</th><th title="course to steer to the position">CTS</th><th title="time to reach it at the current speed, h:mm">ETA</th><th title="closest point of approach on the current course: nm @ minutes">CPA</th></tr></thead><tbody>` +
      r.vessels
        .map((h, i) => {
          const v = h.vessel!;
          const dark = isDark(v);
          const pob = countedPob(v);
          return (
            `<tr data-testid="near-row" data-track-id="${v.trackId}" data-mmsi="${v.mmsi}" data-distance-nm="${h.distanceNm.toFixed(3)}" class="${dark ? "dark" : ""}">` +
            `<td>${i + 1}</td>` +
            `<td><div class="vname">${esc(displayName(v))}</div><div class="muted small">${dark ? "DARK" : esc(shortId(v))} · ${
              v.sogKn !== undefined ? `${v.sogKn.toFixed(1)} kn` : "SOG –"
            } · ${fmtAge(h.reportAgeS * 1000)}${pob ? ` · POB ${pob.estimate} (${pob.low}–${pob.high})` : ""}</div></td>` +
            `<td class="num">${fmtNm(h.distanceM)}</td>` +
            `<td class="num">${fmtDeg(h.courseToSteerDeg)}</td>` +
            `<td class="num">${h.etaS !== undefined ? fmtHm(h.etaS) : "–"}</td>` +
            `<td class="num">${h.cpa ? `${fmtNm(h.cpa.distanceM)}<span class="muted">@${Math.round(h.cpa.timeS / 60)}′</span>` : "–"}</td>` +
            `</tr>`
          );
        })
        .join("") +
      `</tbody></table>`;
  }
}
