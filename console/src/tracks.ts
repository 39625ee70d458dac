// What the console knows of the picture: every vessel and track by track id,
// kept current from SubscribeTracks, with the trail of positions this console
// has seen live.
//
// History: the lead is building a TrackHistory call. Until it exists, a
// track's trail is what this console received since it connected (said so in
// the track panel); `Trail` is where a fetched history will be merged in.

import { fromLonLat } from "ol/proj";
import type { TrackEvent, Vessel } from "./gen/lookout/v1/lookout_pb";
import { observeServerTime } from "./clock";
import { isDark } from "./vessel";

/** Positions kept per track (the selected track's trail shows them all). */
const TRAIL_MAX = 240;

/**
 * A trail: flat [x, y, t(ms), x, y, t, ...] in the map's projection
 * (EPSG:3857, projected once as points arrive), oldest first.
 */
export class Trail {
  readonly pts: number[] = [];
  /** When this console first saw the track (service time, ms). */
  since = 0;

  add(lon: number, lat: number, t: number): boolean {
    const n = this.pts.length;
    const [x, y] = fromLonLat([lon, lat]);
    if (n >= 3) {
      const lt = this.pts[n - 1];
      if (t <= lt) return false; // older or same report: not a new point
      if (this.pts[n - 3] === x && this.pts[n - 2] === y) {
        this.pts[n - 1] = t;
        return false;
      }
    } else {
      this.since = t;
    }
    this.pts.push(x, y, t);
    if (this.pts.length > TRAIL_MAX * 3) this.pts.splice(0, this.pts.length - TRAIL_MAX * 3);
    return true;
  }

  get length(): number {
    return this.pts.length / 3;
  }
}

export interface Track {
  id: number;
  v: Vessel;
  trail: Trail;
}

export type StoreListener = (changed: Set<number>, removed: Set<number>) => void;

export class TrackStore {
  readonly tracks = new Map<number, Track>();
  /** Changed and removed track ids since the last flush. */
  private changed = new Set<number>();
  private removed = new Set<number>();
  /** Track ids seen in the snapshot being received (after a (re)connect or a `missed`). */
  private snapshotIds: Set<number> | null = null;
  private listeners: StoreListener[] = [];
  /** Updates received (for the status line and the benchmark). */
  events = 0;

  onFlush(l: StoreListener): void {
    this.listeners.push(l);
  }

  /** A new stream is starting: the snapshot that follows replaces what we hold. */
  beginSnapshot(): void {
    this.snapshotIds = new Set();
  }

  apply(ev: TrackEvent): void {
    this.events++;
    const e = ev.event;
    switch (e.case) {
      case "snapshot":
        this.snapshotIds?.add(Number(e.value.trackId));
        this.put(e.value);
        break;
      case "update":
      case "entered":
        this.put(e.value);
        break;
      case "exited":
        this.remove(Number(e.value.trackId));
        break;
      case "snapshotComplete":
        if (this.snapshotIds) {
          for (const id of this.tracks.keys()) if (!this.snapshotIds.has(id)) this.remove(id);
          this.snapshotIds = null;
        }
        break;
      case "missed":
        // The current state of the area follows as a fresh snapshot.
        this.beginSnapshot();
        break;
      case "heartbeat":
        observeServerTime(Number(e.value.serverTimeUnixMs));
        break;
    }
  }

  /** Forgets every track (the map is about to show another picture). */
  clear(): void {
    for (const id of [...this.tracks.keys()]) this.remove(id);
    this.snapshotIds = null;
  }

  /** A vessel from elsewhere than the live stream (a replay). */
  putVessel(v: Vessel): void {
    this.put(v);
  }

  private put(v: Vessel): void {
    const id = Number(v.trackId);
    let t = this.tracks.get(id);
    if (!t) {
      t = { id, v, trail: new Trail() };
      this.tracks.set(id, t);
    } else {
      t.v = v;
    }
    this.removed.delete(id);
    if (v.position && v.positionUnixMs !== undefined) {
      t.trail.add(v.position.lonDeg, v.position.latDeg, Number(v.positionUnixMs));
    }
    this.changed.add(id);
  }

  private remove(id: number): void {
    if (this.tracks.delete(id)) {
      this.changed.delete(id);
      this.removed.add(id);
    }
  }

  /** Hands the changes since the last flush to the listeners (map, panels). */
  flush(): void {
    if (this.changed.size === 0 && this.removed.size === 0) return;
    const changed = this.changed;
    const removed = this.removed;
    this.changed = new Set();
    this.removed = new Set();
    for (const l of this.listeners) l(changed, removed);
  }

  darkCount(): number {
    let n = 0;
    for (const t of this.tracks.values()) if (isDark(t.v)) n++;
    return n;
  }

  byMmsi(mmsi: number): Track | undefined {
    if (!mmsi) return undefined;
    for (const t of this.tracks.values()) if (t.v.mmsi === mmsi) return t;
    return undefined;
  }
}
