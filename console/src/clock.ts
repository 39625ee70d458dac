// The service's "now". It is the wall clock on a live service, but a
// recording played faster than real time (clock = "recording") runs at the
// recording's pace: report ages must follow it. Heartbeats carry the
// service's time; between them the clock runs at the pace they show.

const samples: { server: number; wall: number }[] = [];
let rate = 1;

/** Record a service time (from a heartbeat) received now. */
export function observeServerTime(serverMs: number): void {
  if (override) return;
  const wall = performance.now();
  const last = samples[samples.length - 1];
  // A recording that loops (or a restarted service) goes back: start afresh.
  if (last && serverMs < last.server) samples.length = 0;
  samples.push({ server: serverMs, wall });
  if (samples.length > 8) samples.shift();
  const first = samples[0];
  if (wall - first.wall > 4000) {
    const r = (serverMs - first.server) / (wall - first.wall);
    if (Number.isFinite(r)) rate = Math.min(1000, Math.max(0, r));
  }
}

let override: (() => number) | null = null;

/** While a replay plays, "now" is the replayed time (ages, trails); `null` goes back to live. */
export function setClockOverride(f: (() => number) | null): void {
  override = f;
}

/** The service's time now, ms since the Unix epoch (the wall clock before any heartbeat). */
export function serverNow(): number {
  if (override) return override();
  const last = samples[samples.length - 1];
  if (!last) return Date.now();
  return last.server + (performance.now() - last.wall) * rate;
}

/** How fast the service's clock runs against the wall clock (1: live). */
export function clockRate(): number {
  return rate;
}
