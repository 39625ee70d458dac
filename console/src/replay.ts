// The replay panel: a window of the archive played again on the map (the
// service's Replay call), at a chosen speed, with play/pause and a time slider.
// While it plays the map shows the replayed picture, not the live one, under a
// "REPLAY hh:mm" banner with a way back to live.

import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { api, Code, codeOf, isAbort, messageOf } from "./api";
import { AisClass, VesselSchema, type Alert, type ReplayEvent, type StaticData } from "./gen/lookout/v1/lookout_pb";
import { esc, fmtUtcDateTime } from "./format";

/** How much replayed time before the chosen start is read unpaced, so every vessel is on
 *  the map when play starts (the archive keeps one position a minute per vessel). */
const PRIME_MS = 5 * 60_000;
/** The window the panel suggests, ending at the service's now (ms). */
const SUGGESTED_MS = 15 * 60_000;
/** Speeds offered; the service takes up to 3600. */
const SPEEDS = [1, 10, 60, 300, 1200];

/** What the replay does to the rest of the page. */
export interface ReplayHost {
  /** Leave the live picture: stop its streams and clear the map. */
  enter(): void;
  /** Back to the live picture. */
  leave(): void;
  /** Clear the replayed picture (before a seek). */
  clear(): void;
  /** A replayed vessel position or alert version. */
  position(v: ReturnType<typeof create<typeof VesselSchema>>): void;
  alert(a: Alert): void;
  /** Static data of the live picture by MMSI, so replayed vessels keep their class. */
  staticOf(mmsi: number): StaticData | undefined;
}

/** "2026-06-01T00:20" (UTC) for a datetime-local input. */
function toInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

function fromInput(s: string): number | undefined {
  const ms = Date.parse(`${s}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

export class ReplayPanel {
  private from = 0;
  private to = 0;
  private speed = 60;
  /** Replayed time of the last message, and when it arrived (performance.now()). */
  private at = 0;
  private atWall = 0;
  private playing = false;
  private active = false;
  private ctl: AbortController | null = null;
  private status: HTMLElement;
  private slider: HTMLInputElement;

  constructor(
    private box: HTMLElement,
    private banner: HTMLElement,
    private host: ReplayHost,
  ) {
    box.innerHTML =
      `<h3>Replay</h3>` +
      `<p class="muted">Plays a window of the archive again: vessel positions (one a minute) and alert versions as they happened. Times UTC.</p>` +
      `<form class="replay-form" autocomplete="off">` +
      `<label>From <input type="datetime-local" data-testid="replay-from" name="from" /></label>` +
      `<label>To <input type="datetime-local" data-testid="replay-to" name="to" /></label>` +
      `<label>Speed <select data-testid="replay-speed" name="speed">${SPEEDS.map(
        (s) => `<option value="${s}"${s === 60 ? " selected" : ""}>×${s}</option>`,
      ).join("")}</select></label>` +
      `<div class="replay-buttons"><button type="submit" data-testid="replay-go">Play</button>` +
      `<button type="button" data-act="pause" data-testid="replay-pause" disabled>Pause</button></div>` +
      `<input type="range" data-testid="replay-slider" min="0" max="1000" value="0" disabled />` +
      `<p class="replay-status muted" data-testid="replay-status"></p>` +
      `</form>`;
    this.status = box.querySelector(".replay-status")!;
    this.slider = box.querySelector('input[type="range"]')!;
    const form = box.querySelector("form")!;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = fromInput(this.field("from").value);
      const t = fromInput(this.field("to").value);
      if (f === undefined || t === undefined || t <= f) {
        this.say("Choose a start and an end after it.", true);
        return;
      }
      this.from = f;
      this.to = t;
      this.speed = Number(this.field("speed").value);
      this.play(f);
    });
    box.querySelector('[data-act="pause"]')!.addEventListener("click", () => {
      if (this.playing) this.pause();
      else this.play(this.now(), false);
    });
    this.slider.addEventListener("change", () => {
      const t = this.from + ((this.to - this.from) * Number(this.slider.value)) / 1000;
      this.play(t);
    });
    banner.querySelector("button")!.addEventListener("click", () => this.backToLive());
  }

  /** Sets the form's window, when empty: the last quarter of an hour of the service's time
   *  (what an operator most often wants to see again: what just happened). */
  suggest(nowMs: number): void {
    if (!this.field("from").value) this.field("from").value = toInput(nowMs - SUGGESTED_MS);
    if (!this.field("to").value) this.field("to").value = toInput(nowMs);
  }

  private field(name: string): HTMLInputElement {
    return this.box.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
  }

  /** Whether the map shows a replay. */
  get replaying(): boolean {
    return this.active;
  }

  /** The replayed time now: the last message's, run on at the speed while playing. */
  now(): number {
    if (!this.playing) return this.at;
    return Math.min(this.to, this.at + (performance.now() - this.atWall) * this.speed);
  }

  /** Called every frame-second: the banner's clock and the slider follow the replay. */
  tick(): void {
    if (!this.active) return;
    const t = this.now();
    const clock = this.banner.querySelector<HTMLElement>('[data-testid="replay-clock"]')!;
    clock.textContent = `REPLAY ${new Date(t).toISOString().slice(11, 16)}`;
    clock.dataset.ms = String(Math.round(t));
    if (this.to > this.from) this.slider.value = String(Math.round(((t - this.from) / (this.to - this.from)) * 1000));
  }

  /** Plays from `start`; with `fresh` the map is cleared and primed with the minutes before. */
  private play(start: number, fresh = true): void {
    this.ctl?.abort();
    if (!this.active) {
      this.active = true;
      this.host.enter();
      this.banner.hidden = false;
    }
    if (fresh) this.host.clear();
    const ctl = new AbortController();
    this.ctl = ctl;
    this.at = start;
    this.atWall = performance.now();
    this.playing = true;
    this.slider.disabled = false;
    const pause = this.box.querySelector<HTMLButtonElement>('[data-act="pause"]')!;
    pause.disabled = false;
    pause.textContent = "Pause";
    this.say(`Playing ${fmtUtcDateTime(start)} → ${fmtUtcDateTime(this.to)} at ×${this.speed}`);
    void (async () => {
      try {
        if (fresh) await this.read(Math.max(this.from - PRIME_MS, start - PRIME_MS), start, 0, ctl);
        await this.read(start, this.to, this.speed, ctl);
        if (ctl.signal.aborted) return;
        this.at = this.to;
        this.playing = false;
        pause.textContent = "Pause";
        pause.disabled = true;
        this.say(`Replayed to ${fmtUtcDateTime(this.to)}. Play again, or move the slider.`);
      } catch (e) {
        if (ctl.signal.aborted || isAbort(e)) return;
        this.playing = false;
        const code = codeOf(e);
        this.say(
          code === Code.PermissionDenied
            ? "Refused: replay needs the analyst role."
            : code === Code.FailedPrecondition
              ? "This service keeps no archive: nothing to replay."
              : `Replay failed: ${messageOf(e)}`,
          true,
        );
      }
    })();
  }

  private async read(from: number, to: number, speed: number, ctl: AbortController): Promise<void> {
    if (to <= from) return;
    const req = { from: timestampFromMs(Math.round(from)), to: timestampFromMs(Math.round(to)), speed };
    for await (const m of api.replay(req, { signal: ctl.signal })) this.apply(m, speed > 0);
  }

  private apply(m: ReplayEvent, paced: boolean): void {
    const t = m.time ? timestampDate(m.time).getTime() : this.at;
    if (paced) {
      this.at = t;
      this.atWall = performance.now();
    }
    const e = m.event;
    if (e.case === "position" && e.value.point) {
      const p = e.value.point;
      const ms = p.time ? timestampDate(p.time).getTime() : t;
      this.host.position(
        create(VesselSchema, {
          mmsi: e.value.mmsi,
          // Replayed vessels are keyed by MMSI: the archive keeps no track ids.
          trackId: BigInt(e.value.mmsi),
          aisClass: AisClass.A,
          aisCorrelated: true,
          position: { latDeg: p.latDeg, lonDeg: p.lonDeg },
          positionUnixMs: BigInt(ms),
          lastSeenUnixMs: BigInt(ms),
          sogKn: p.sogKn,
          cogDeg: p.cogDeg,
          headingDeg: p.headingDeg,
          lastSource: "archive",
          staticData: this.host.staticOf(e.value.mmsi),
        }),
      );
    } else if (e.case === "alert" && e.value.alert) {
      this.host.alert(e.value.alert);
    }
  }

  private pause(): void {
    this.at = this.now();
    this.playing = false;
    this.ctl?.abort();
    const pause = this.box.querySelector<HTMLButtonElement>('[data-act="pause"]')!;
    pause.textContent = "Resume";
    this.say(`Paused at ${fmtUtcDateTime(this.at)}.`);
  }

  backToLive(): void {
    this.ctl?.abort();
    this.ctl = null;
    this.playing = false;
    this.active = false;
    this.banner.hidden = true;
    this.slider.disabled = true;
    this.box.querySelector<HTMLButtonElement>('[data-act="pause"]')!.disabled = true;
    this.say("");
    this.host.leave();
  }

  private say(text: string, error = false): void {
    this.status.innerHTML = esc(text);
    this.status.className = `replay-status ${error ? "error" : "muted"}`;
  }
}
