// Alerts: the live list from SubscribeAlerts (latest version of each alert
// wins), rescue alerts pinned first, then severity, then recency; a filter by
// kind; the selected alert's detail and the acknowledgement form.

import { AlertKind, AlertState, Severity, type Alert, type AlertEvent } from "./gen/lookout/v1/lookout_pb";
import { observeServerTime, serverNow } from "./clock";
import { esc, fmtAge, fmtPos, fmtUtcDateTime } from "./format";
import { SEVERITY_COLOUR } from "./map";

export const KIND_NAME: Record<number, string> = {
  [AlertKind.UNSPECIFIED]: "Alert",
  [AlertKind.DARK_TARGET]: "Dark target",
  [AlertKind.AIS_GAP]: "AIS gap",
  [AlertKind.LOITERING]: "Loitering",
  [AlertKind.RENDEZVOUS]: "Rendezvous",
  [AlertKind.ROUTE_DEVIATION]: "Route deviation",
  [AlertKind.POSITION_JUMP]: "Position jump",
  [AlertKind.OVERCROWDED]: "Overcrowded boat",
};

export const SEVERITY_NAME: Record<number, string> = {
  [Severity.UNSPECIFIED]: "–",
  [Severity.INFO]: "info",
  [Severity.LOW]: "low",
  [Severity.MEDIUM]: "medium",
  [Severity.HIGH]: "high",
  [Severity.CRITICAL]: "critical",
};

export const STATE_NAME: Record<number, string> = {
  [AlertState.UNSPECIFIED]: "–",
  [AlertState.OPEN]: "open",
  [AlertState.UPDATED]: "updated",
  [AlertState.CLOSED]: "closed",
  [AlertState.RETRACTED]: "retracted",
  [AlertState.CONTACT_LOST]: "contact lost",
};

/** Open, updated or contact lost: the incident is going on. */
export function isLive(a: Alert): boolean {
  return a.state === AlertState.OPEN || a.state === AlertState.UPDATED || a.state === AlertState.CONTACT_LOST;
}

function tsMs(t: { seconds: bigint; nanos: number } | undefined): number {
  return t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : 0;
}

export function updatedMs(a: Alert): number {
  return tsMs(a.updatedAt);
}
export function openedMs(a: Alert): number {
  return tsMs(a.openedAt);
}
export function ackMs(a: Alert): number {
  return tsMs(a.acknowledged?.at);
}

/** Rescue first, then severity, then the most recently changed. */
export function alertOrder(a: Alert, b: Alert): number {
  if (a.rescue !== b.rescue) return a.rescue ? -1 : 1;
  if (a.severity !== b.severity) return b.severity - a.severity;
  return updatedMs(b) - updatedMs(a);
}

export class AlertStore {
  readonly alerts = new Map<number, Alert>();
  private snapshotIds: Set<number> | null = null;
  /** Alert versions applied. */
  changes = 0;
  /** Live alerts held before a reconnect that the new snapshot did not
   * include: they ended meanwhile (their final state is fetched with ListAlerts). */
  endedWhileAway: number[] = [];

  beginSnapshot(): void {
    this.snapshotIds = new Set();
  }

  apply(ev: AlertEvent): boolean {
    const e = ev.event;
    switch (e.case) {
      case "snapshot":
        this.snapshotIds?.add(Number(e.value.alertId));
        return this.put(e.value);
      case "change":
        return this.put(e.value);
      case "snapshotComplete": {
        // Live alerts we hold that were not re-sent ended while we were away.
        const seen = this.snapshotIds;
        this.snapshotIds = null;
        if (seen) {
          this.endedWhileAway = [...this.alerts.values()]
            .filter((a) => isLive(a) && !seen.has(Number(a.alertId)))
            .map((a) => Number(a.alertId));
        }
        return true;
      }
      case "missed":
        // The current state of every touched alert follows as changes.
        return true;
      case "heartbeat":
        observeServerTime(Number(e.value.serverTimeUnixMs));
        return false;
      default:
        return false;
    }
  }

  /** Keeps the newest version of an alert. */
  /** Forgets every alert (the page is about to show another picture). */
  clear(): void {
    this.alerts.clear();
    this.snapshotIds = null;
    this.endedWhileAway = [];
    this.changes++;
  }

  put(a: Alert): boolean {
    const id = Number(a.alertId);
    const old = this.alerts.get(id);
    if (old && old.version > a.version) return false;
    this.alerts.set(id, a);
    this.changes++;
    return true;
  }

  sorted(): Alert[] {
    return [...this.alerts.values()].sort(alertOrder);
  }

  liveCount(): number {
    let n = 0;
    for (const a of this.alerts.values()) if (isLive(a)) n++;
    return n;
  }

  forTrack(trackId: number, mmsi: number): Alert[] {
    return this.sorted().filter(
      (a) =>
        Number(a.trackId ?? -1) === trackId ||
        a.trackIds.some((t) => Number(t) === trackId) ||
        (mmsi !== 0 && a.mmsi === mmsi),
    );
  }
}

/** The alert list, with its kind filter. */
export class AlertList {
  private rows = new Map<number, HTMLLIElement>();
  private hiddenKinds = new Set<number>();
  showEnded = false;
  selected: number | null = null;

  constructor(
    private list: HTMLOListElement,
    private filterBox: HTMLElement,
    private store: AlertStore,
    private onSelect: (a: Alert) => void,
  ) {
    list.addEventListener("click", (e) => {
      const li = (e.target as HTMLElement).closest("li[data-alert-id]") as HTMLLIElement | null;
      if (!li) return;
      const a = this.store.alerts.get(Number(li.dataset.alertId));
      if (a) this.onSelect(a);
    });
    list.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      const li = (e.target as HTMLElement).closest("li[data-alert-id]") as HTMLLIElement | null;
      const a = li && this.store.alerts.get(Number(li.dataset.alertId));
      if (a) {
        e.preventDefault();
        this.onSelect(a);
      }
    });
  }

  /** Refreshes the ages shown (once a second). */
  updateAges(): void {
    const now = serverNow();
    for (const [id, li] of this.rows) {
      const a = this.store.alerts.get(id);
      if (a) setAge(li, a, now);
    }
  }

  private visible(a: Alert): boolean {
    return !this.hiddenKinds.has(a.kind) && (this.showEnded || isLive(a));
  }

  render(): void {
    const all = this.store.sorted();
    this.renderFilter(all);
    const now = serverNow();
    const shown = all.filter((a) => this.visible(a));
    const keep = new Set<number>();
    let prev: HTMLLIElement | null = null;
    for (const a of shown) {
      const id = Number(a.alertId);
      keep.add(id);
      let li = this.rows.get(id);
      if (!li) {
        li = document.createElement("li");
        li.dataset.alertId = String(id);
        li.dataset.testid = "alert";
        li.tabIndex = 0;
        this.rows.set(id, li);
      }
      fillRow(li, a, now, id === this.selected);
      // Keep DOM order = sorted order, moving only rows that are out of place.
      const want: ChildNode | null = prev ? prev.nextSibling : this.list.firstChild;
      if (want !== li) this.list.insertBefore(li, want);
      prev = li;
    }
    for (const [id, li] of this.rows) {
      if (!keep.has(id)) {
        li.remove();
        this.rows.delete(id);
      }
    }
    if (shown.length === 0) {
      if (!this.list.querySelector(".empty")) {
        const li = document.createElement("li");
        li.className = "empty";
        li.textContent = all.length ? "No alert matches the filter." : "No alerts.";
        this.list.appendChild(li);
      }
    } else {
      this.list.querySelector(".empty")?.remove();
    }
  }

  private renderFilter(all: Alert[]): void {
    const counts = new Map<number, number>();
    for (const a of all) if (this.showEnded || isLive(a)) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
    const kinds = Object.keys(KIND_NAME).map(Number).filter((k) => k !== AlertKind.UNSPECIFIED);
    if (!this.filterBox.childElementCount) {
      for (const k of kinds) {
        const b = document.createElement("button");
        b.className = "chip";
        b.dataset.kind = String(k);
        b.dataset.testid = `kind-${AlertKind[k]}`;
        b.addEventListener("click", () => {
          if (this.hiddenKinds.has(k)) this.hiddenKinds.delete(k);
          else this.hiddenKinds.add(k);
          this.render();
        });
        this.filterBox.appendChild(b);
      }
    }
    for (const b of this.filterBox.querySelectorAll<HTMLButtonElement>("button.chip")) {
      const k = Number(b.dataset.kind);
      const off = this.hiddenKinds.has(k);
      b.classList.toggle("off", off);
      b.setAttribute("aria-pressed", String(!off));
      b.textContent = `${KIND_NAME[k]} ${counts.get(k) ?? 0}`;
    }
  }
}

function pobText(a: Alert): string {
  const p = a.personsOnBoard;
  return p ? `POB ${p.estimate} <span class="interval">(${p.low}–${p.high})</span>` : "";
}

function fillRow(li: HTMLLIElement, a: Alert, now: number, selected: boolean): void {
  const acked = !!a.acknowledged;
  li.className = `alert sev-${a.severity}${a.rescue ? " rescue" : ""}${acked ? " acked" : ""}${isLive(a) ? "" : " ended"}${selected ? " selected" : ""}`;
  li.dataset.acknowledged = String(acked);
  li.dataset.kind = AlertKind[a.kind];
  li.dataset.rescue = String(a.rescue);
  li.dataset.state = AlertState[a.state];
  li.style.setProperty("--sev", a.rescue ? "#ff3b3b" : SEVERITY_COLOUR[a.severity] ?? "#8c99a6");
  const who = a.mmsi ? `MMSI ${a.mmsi}` : a.trackId !== undefined ? `T${a.trackId}` : "";
  const html =
    `<div class="row1"><span class="kind">${a.rescue ? '<span class="badge rescue">RESCUE</span> ' : ""}${esc(KIND_NAME[a.kind] ?? "Alert")}</span>` +
    `<span class="sev">${SEVERITY_NAME[a.severity]}</span><span class="age"></span></div>` +
    (a.rescue && a.personsOnBoard ? `<div class="pob">${pobText(a)}</div>` : "") +
    `<div class="expl">${esc(a.explanation)}</div>` +
    datumLine(a) +
    `<div class="row3"><span>#${a.alertId} v${a.version} · ${esc(who)}${!a.rescue && a.personsOnBoard ? ` · ${pobText(a)}` : ""}</span>` +
    (acked ? `<span class="badge ack" title="${esc(a.acknowledged!.note)}">ACK ${esc(a.acknowledged!.by)}</span>` : isLive(a) ? "" : `<span class="badge">${STATE_NAME[a.state]}</span>`) +
    `</div>`;
  // Rewriting identical HTML would still cost a layout; skip it.
  if (li.dataset.html !== html) {
    li.innerHTML = html;
    li.dataset.html = html;
  }
  setAge(li, a, now);
}

/** The row's age text, touched only when it changes (every second for each row otherwise). */
function setAge(li: HTMLLIElement, a: Alert, now: number): void {
  const age = li.querySelector<HTMLElement>(".age");
  const text = fmtAge(now - updatedMs(a));
  if (age && age.textContent !== text) age.textContent = text;
}

/** The selected alert: everything about it, and the acknowledgement form. */
export function renderAlertDetail(box: HTMLElement, a: Alert, operatorName: string): void {
  const acked = a.acknowledged;
  const ev = Object.entries(a.evidence).sort(([x], [y]) => x.localeCompare(y));
  const p = a.position;
  box.innerHTML =
    `<div class="detail-head"><b>${esc(KIND_NAME[a.kind])}</b> #${a.alertId} · v${a.version} · ${STATE_NAME[a.state]}` +
    `<button class="link close" data-act="close" title="Close">×</button></div>` +
    (a.rescue ? `<div class="pob big">${a.personsOnBoard ? pobText(a) + " persons on board (90 % interval)" : "Rescue"}</div>` : "") +
    `<p class="expl-full">${esc(a.explanation)}</p>` +
    (a.retraction ? `<p class="retraction">Retracted: ${esc(a.retraction)}</p>` : "") +
    contactLostBox(a) +
    `<dl class="kv">` +
    (p ? `<dt>Position</dt><dd>${fmtPos(p.latDeg, p.lonDeg)}</dd>` : "") +
    `<dt>Severity</dt><dd>${SEVERITY_NAME[a.severity]} (score ${a.score.toFixed(2)})</dd>` +
    `<dt>Opened</dt><dd>${fmtUtcDateTime(openedMs(a))}</dd>` +
    `<dt>Updated</dt><dd>${fmtUtcDateTime(updatedMs(a))}</dd>` +
    (a.trackIds.length ? `<dt>Tracks</dt><dd>${a.trackIds.map((t) => `<button class="link" data-act="track" data-track="${t}">T${t}</button>`).join(" ")}</dd>` : "") +
    (a.mmsi ? `<dt>MMSI</dt><dd>${a.mmsi}</dd>` : "") +
    ev.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("") +
    `</dl>` +
    `<div class="actions"><button data-act="near">Who can reach it?</button>` +
    (a.trackId !== undefined ? `<button data-act="track" data-track="${a.trackId}">Show track</button>` : "") +
    `</div>` +
    `<div class="ack-box">` +
    (acked
      ? `<p class="acked-by" data-testid="acked-by">Acknowledged by <b>${esc(acked.by)}</b> at ${fmtUtcDateTime(ackMs(a))}${acked.note ? `: “${esc(acked.note)}”` : ""}</p>`
      : "") +
    `<label>Operator <input data-field="by" value="${esc(operatorName)}" maxlength="200" placeholder="your name or centre" /></label>` +
    `<label>Note <textarea data-field="note" data-testid="ack-note" maxlength="2000" rows="2" placeholder="e.g. patrol boat tasked"></textarea></label>` +
    `<button class="primary" data-testid="ack" data-act="ack">${acked ? "Acknowledge again" : "Acknowledge"}</button>` +
    (isLive(a) ? ` <button data-testid="close-incident" data-act="close-incident" title="End the incident (a note saying why is required)">Close incident</button>` : "") +
    `<span class="ack-status" data-testid="ack-status"></span>` +
    `</div>`;
}

/** In the list, a lost contact's search datum: where to search, and how wide, as of this version. */
function datumLine(a: Alert): string {
  const d = a.contactLost?.datum;
  if (a.state !== AlertState.CONTACT_LOST || !d?.position) return "";
  return (
    `<div class="datum" data-testid="alert-datum" data-radius-nm="${d.radiusNm.toFixed(3)}"><b>CONTACT LOST</b> · search datum ` +
    `${fmtPos(d.position.latDeg, d.position.lonDeg)}, radius ${d.radiusNm.toFixed(1)} nm</div>`
  );
}

/** For a CONTACT_LOST alert: when and where the boat was last seen, and where to search now. */
function contactLostBox(a: Alert): string {
  const c = a.contactLost;
  if (a.state !== AlertState.CONTACT_LOST || !c) return "";
  const last = c.lastPosition;
  const d = c.datum;
  const drift =
    c.cogDeg !== undefined && c.sogKn !== undefined ? `, drifting ${Math.round(c.cogDeg)}° at ${c.sogKn.toFixed(1)} kn` : "";
  return (
    `<div class="contact-lost" data-testid="contact-lost"><b>Contact lost</b> (${esc(c.why)}).` +
    (last ? ` Last seen ${fmtUtcDateTime(tsMs(c.lastSeen))} at ${fmtPos(last.latDeg, last.lonDeg)}${drift}.` : "") +
    (d?.position
      ? ` Search datum ${fmtPos(d.position.latDeg, d.position.lonDeg)}, radius <b data-testid="datum-radius">${d.radiusNm.toFixed(1)} nm</b> at ${fmtUtcDateTime(tsMs(d.at))}, growing.`
      : "") +
    `</div>`
  );
}
