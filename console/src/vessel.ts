// How a vessel or track is named and drawn: class categories and colours.
import { SensorKind, ShipClass, VesselClass, type PersonsOnBoard, type Vessel } from "./gen/lookout/v1/lookout_pb";

/** Drawing categories (a colour each); `dark` is a track no AIS explains. */
export type Category =
  | "cargo"
  | "tanker"
  | "passenger"
  | "highspeed"
  | "fishing"
  | "service"
  | "government"
  | "leisure"
  | "other"
  | "dark";

export const CATEGORY: Record<Category, { label: string; colour: string }> = {
  cargo: { label: "Cargo", colour: "#57b45e" },
  tanker: { label: "Tanker", colour: "#d9534f" },
  passenger: { label: "Passenger / ferry", colour: "#4a90e2" },
  highspeed: { label: "High speed", colour: "#e8c547" },
  fishing: { label: "Fishing", colour: "#ee8d4d" },
  service: { label: "Tug / pilot / special", colour: "#3fc1c9" },
  government: { label: "SAR / law enf. / military", colour: "#f2f2f2" },
  leisure: { label: "Sailing / pleasure", colour: "#b48ce0" },
  other: { label: "Other / unknown", colour: "#8c99a6" },
  dark: { label: "Dark track (no AIS)", colour: "#ff2d8a" },
};

export function isDark(v: Vessel): boolean {
  return v.mmsi === 0 || !v.aisCorrelated;
}

export function category(v: Vessel): Category {
  if (isDark(v)) return "dark";
  switch (v.staticData?.shipClass ?? ShipClass.UNSPECIFIED) {
    case ShipClass.CARGO:
      return "cargo";
    case ShipClass.TANKER:
      return "tanker";
    case ShipClass.PASSENGER:
      return "passenger";
    case ShipClass.HIGH_SPEED:
    case ShipClass.WIG:
      return "highspeed";
    case ShipClass.FISHING:
      return "fishing";
    case ShipClass.TUG_TOW:
    case ShipClass.PILOT_TENDER:
    case ShipClass.SPECIAL:
    case ShipClass.MEDICAL:
      return "service";
    case ShipClass.SAR:
    case ShipClass.LAW_ENFORCEMENT:
    case ShipClass.MILITARY:
      return "government";
    case ShipClass.SAILING:
    case ShipClass.PLEASURE:
      return "leisure";
    default:
      return "other";
  }
}

export const SHIP_CLASS_NAME: Record<number, string> = {
  [ShipClass.UNSPECIFIED]: "type not reported",
  [ShipClass.CARGO]: "cargo",
  [ShipClass.TANKER]: "tanker",
  [ShipClass.PASSENGER]: "passenger",
  [ShipClass.HIGH_SPEED]: "high-speed craft",
  [ShipClass.FISHING]: "fishing",
  [ShipClass.TUG_TOW]: "tug / towing",
  [ShipClass.SAR]: "search and rescue",
  [ShipClass.LAW_ENFORCEMENT]: "law enforcement",
  [ShipClass.PILOT_TENDER]: "pilot / tender",
  [ShipClass.SAILING]: "sailing",
  [ShipClass.PLEASURE]: "pleasure craft",
  [ShipClass.MILITARY]: "military",
  [ShipClass.MEDICAL]: "medical",
  [ShipClass.SPECIAL]: "special craft",
  [ShipClass.WIG]: "wing in ground",
  [ShipClass.OTHER]: "other",
};

export const DETECTED_CLASS_NAME: Record<number, string> = {
  [VesselClass.VESSEL_CLASS_UNSPECIFIED]: "not judged",
  [VesselClass.RUBBER_BOAT]: "rubber boat",
  [VesselClass.WOODEN_BOAT]: "wooden boat",
  [VesselClass.FISHING]: "fishing boat",
  [VesselClass.SAILING]: "sailing boat",
  [VesselClass.MOTOR_YACHT]: "motor yacht",
  [VesselClass.MERCHANT]: "merchant ship",
  [VesselClass.UNKNOWN]: "unknown",
};

export const NAV_STATUS: string[] = [
  "under way using engine",
  "at anchor",
  "not under command",
  "restricted manoeuvrability",
  "constrained by draught",
  "moored",
  "aground",
  "engaged in fishing",
  "under way sailing",
  "reserved (HSC)",
  "reserved (WIG)",
  "power-driven vessel towing astern",
  "power-driven vessel pushing ahead",
  "reserved",
  "AIS-SART active",
];

/** "Dark T123", or the AIS name, or "MMSI 247123456". */
export function displayName(v: Vessel): string {
  if (isDark(v)) return `Dark T${v.trackId}`;
  const name = v.staticData?.name?.trim();
  return name || `MMSI ${v.mmsi}`;
}

/** Short identity: the MMSI, or T<track> for a dark track. */
export function shortId(v: Vessel): string {
  return isDark(v) ? `T${v.trackId}` : String(v.mmsi);
}

/** The direction it points: heading, else course over ground. */
export function pointing(v: Vessel): number | undefined {
  if (v.headingDeg !== undefined && v.headingDeg < 360) return v.headingDeg;
  return v.cogDeg;
}

export function isMoving(v: Vessel): boolean {
  return (v.sogKn ?? 0) >= 0.5 && pointing(v) !== undefined;
}

/**
 * The persons-on-board estimate when people were actually counted (a drone,
 * camera or aircraft looked, or the boat is flagged overcrowded); a prior
 * from class and length alone is too wide to put on the chart.
 */
export function countedPob(v: Vessel): PersonsOnBoard | undefined {
  const p = v.personsOnBoard;
  if (!p) return undefined;
  if (p.overcrowded || v.sensors.some((s) => s.sensorKind !== SensorKind.RADAR)) return p;
  return undefined;
}
