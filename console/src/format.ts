// Formatting for an operator: positions, distances, ages, and typed coordinates.

export const M_PER_NM = 1852;

/** 35°21.00′N */
export function fmtLat(lat: number): string {
  return dm(Math.abs(lat), 2) + (lat >= 0 ? "N" : "S");
}

/** 012°30.00′E */
export function fmtLon(lon: number): string {
  return dm(Math.abs(lon), 3) + (lon >= 0 ? "E" : "W");
}

function dm(v: number, degDigits: number): string {
  let d = Math.floor(v);
  let m = (v - d) * 60;
  if (m >= 59.995) {
    d += 1;
    m = 0;
  }
  return `${String(d).padStart(degDigits, "0")}°${m.toFixed(2).padStart(5, "0")}′`;
}

export function fmtPos(lat: number, lon: number): string {
  return `${fmtLat(lat)} ${fmtLon(lon)}`;
}

/** Age of something `ms` old: 12 s, 4 min, 2 h 5 min. */
export function fmtAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Duration in seconds as h:mm (ETAs). */
export function fmtHm(s: number): string {
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}`;
}

export function fmtDeg(d: number | undefined): string {
  return d === undefined ? "–" : `${String(Math.round(d) % 360).padStart(3, "0")}°`;
}

export function fmtKn(k: number | undefined): string {
  return k === undefined ? "–" : `${k.toFixed(1)} kn`;
}

export function fmtNm(m: number): string {
  const nm = m / M_PER_NM;
  return nm < 10 ? nm.toFixed(2) : nm.toFixed(1);
}

/** UTC time of day, HH:MM:SS. */
export function fmtUtc(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function fmtUtcDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/**
 * Parses one coordinate as an operator types it: decimal degrees ("35.35",
 * "-12.5"), or degrees and decimal minutes / minutes and seconds with an
 * optional hemisphere letter ("35 21.5 N", "35°21.5'N", "012°30'15\"E",
 * "12 30 E"). `axis` says which letters are allowed. Returns undefined when
 * the text is not a coordinate or is out of range.
 */
export function parseCoord(text: string, axis: "lat" | "lon"): number | undefined {
  let t = text.trim().toUpperCase().replace(/,/g, ".");
  if (!t) return undefined;
  let sign = 1;
  const hemi = t.match(/[NSEW]/g);
  if (hemi) {
    if (hemi.length > 1) return undefined;
    const h = hemi[0];
    if (axis === "lat" && (h === "E" || h === "W")) return undefined;
    if (axis === "lon" && (h === "N" || h === "S")) return undefined;
    if (h === "S" || h === "W") sign = -1;
    t = t.replace(/[NSEW]/, " ");
  }
  if (t.trim().startsWith("-")) {
    if (sign < 0) return undefined;
    sign = -1;
    t = t.trim().slice(1);
  }
  const parts = t.split(/[°º'′"″\s]+/).filter((p) => p.length > 0);
  if (parts.length < 1 || parts.length > 3 || !parts.every((p) => /^\d+(\.\d+)?$/.test(p))) return undefined;
  const [d, m = 0, s = 0] = parts.map(Number);
  if (parts.length > 1 && (m >= 60 || s >= 60 || !Number.isInteger(d))) return undefined;
  if (parts.length > 2 && !Number.isInteger(m)) return undefined;
  const v = sign * (d + m / 60 + s / 3600);
  const max = axis === "lat" ? 90 : 180;
  return Math.abs(v) <= max ? v : undefined;
}

/** Escapes text for innerHTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
