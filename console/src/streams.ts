// A server stream that stays up: reconnects with backoff, and keeps what an
// operator needs to trust the picture: state, heartbeat age, missed updates.
import { Code, codeOf, isAbort, messageOf } from "./api";

export type StreamState = "connecting" | "live" | "retrying" | "signin" | "denied";

export class StreamHealth {
  state: StreamState = "connecting";
  /** performance.now() of the last heartbeat (0: none yet). */
  lastHeartbeat = 0;
  /** performance.now() of the last message of any kind. */
  lastMessage = 0;
  /** Total updates/changes missed (the console lagged and was resynchronised). */
  missedTotal = 0;
  /** The latest `missed` notice: how many, and when (Date.now()). */
  lastMissed: { n: number; at: number } | null = null;
  error = "";
  reconnects = 0;

  constructor(readonly name: string) {}
}

export interface StreamSpec<T> {
  health: StreamHealth;
  /** Opens the stream (a fresh call each time). */
  open: (signal: AbortSignal) => AsyncIterable<T>;
  /** Called when a new call is opened, before its first message. */
  onOpen: () => void;
  onMessage: (m: T) => void;
  /** The service refused the token (or none was given). */
  onUnauthenticated: (message: string) => void;
  onChange: () => void;
}

/** Runs the stream until `signal` aborts. */
export async function runStream<T>(spec: StreamSpec<T>, signal: AbortSignal): Promise<void> {
  const h = spec.health;
  let backoff = 1000;
  while (!signal.aborted) {
    h.state = h.reconnects === 0 ? "connecting" : "retrying";
    spec.onChange();
    try {
      spec.onOpen();
      for await (const m of spec.open(signal)) {
        if (h.state !== "live") {
          h.state = "live";
          h.error = "";
          backoff = 1000;
          spec.onChange();
        }
        h.lastMessage = performance.now();
        spec.onMessage(m);
      }
      h.error = "stream ended by the service";
    } catch (e) {
      if (signal.aborted || isAbort(e)) return;
      const code = codeOf(e);
      h.error = messageOf(e);
      if (code === Code.Unauthenticated) {
        h.state = "signin";
        spec.onChange();
        spec.onUnauthenticated(h.error);
        return; // restarted with a new token
      }
      if (code === Code.PermissionDenied) {
        h.state = "denied";
        spec.onChange();
        return;
      }
    }
    h.reconnects++;
    h.state = "retrying";
    spec.onChange();
    await sleep(backoff, signal);
    backoff = Math.min(backoff * 2, 15000);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });
}
