// The chart: an offline basemap (Natural Earth land, 1:50m, from the
// world-atlas package, served by Lookout itself), sensor coverage, vessel
// trails, vessels by class with heading, alerts and the rescue query.
// OpenLayers on Canvas 2D (no WebGL: headless and older consoles lack it).

import "ol/ol.css";
import OlMap from "ol/Map";
import View from "ol/View";
import Feature from "ol/Feature";
import Point from "ol/geom/Point";
import LineString from "ol/geom/LineString";
import { circular } from "ol/geom/Polygon";
import VectorLayer from "ol/layer/Vector";
import VectorImageLayer from "ol/layer/VectorImage";
import VectorSource from "ol/source/Vector";
import GeoJSON from "ol/format/GeoJSON";
import { Circle as CircleStyle, Fill, RegularShape, Stroke, Style, Text } from "ol/style";
import ScaleLine from "ol/control/ScaleLine";
import MousePosition from "ol/control/MousePosition";
import Zoom from "ol/control/Zoom";
import { fromLonLat, toLonLat } from "ol/proj";
import { boundingExtent, buffer as bufferExtent } from "ol/extent";
import type { FeatureLike } from "ol/Feature";
import type { Geometry } from "ol/geom";
import * as topojson from "topojson-client";
import type { Topology } from "topojson-specification";
import landUrl from "world-atlas/land-50m.json?url";

import { AlertState, SensorKind, Severity, type Alert, type NearVessel, type Sensor } from "./gen/lookout/v1/lookout_pb";
import type { Track, TrackStore } from "./tracks";
import { CATEGORY, category, countedPob, displayName, isMoving, pointing } from "./vessel";
import { serverNow } from "./clock";
import { fmtLat, fmtLon } from "./format";

/** A lost contact's search datum: dashed red, lightly filled. */
const DATUM_STYLE = new Style({
  stroke: new Stroke({ color: "#ff3b3b", width: 2, lineDash: [8, 6] }),
  fill: new Fill({ color: "rgba(255, 59, 59, 0.08)" }),
});

/** A vessel's history from the archive: dotted, under its live trail. */
const HISTORY_STYLE = new Style({ stroke: new Stroke({ color: "#e8c547", width: 2, lineDash: [2, 5] }) });

/** Trail drawn behind every vessel: its last ten minutes (service time). */
const SHORT_TRAIL_MS = 10 * 60_000;
/** Assumed camera footprint around a drone's look (the simulator's camera range). */
export const DRONE_VIEW_M = 3000;
/** How long a drone look stays drawn. */
export const DRONE_LOOK_MS = 15 * 60_000;

const SEVERITY_COLOUR: Record<number, string> = {
  [Severity.UNSPECIFIED]: "#8c99a6",
  [Severity.INFO]: "#8c99a6",
  [Severity.LOW]: "#6fb3d2",
  [Severity.MEDIUM]: "#f0b429",
  [Severity.HIGH]: "#ff7a3d",
  [Severity.CRITICAL]: "#ff3b3b",
};
export { SEVERITY_COLOUR };

export interface DroneLook {
  lon: number;
  lat: number;
  at: number;
  sensor: string;
}

export class ConsoleMap {
  readonly map: OlMap;
  // Every vessel moves every few seconds: an R-tree kept up to date would
  // cost more than scanning a few thousand features when drawing.
  private vesselSource = new VectorSource<Feature<Point>>({ useSpatialIndex: false });
  private trailSource = new VectorSource<Feature<LineString>>({ useSpatialIndex: false });
  private alertSource = new VectorSource<Feature<Geometry>>();
  private coverageSource = new VectorSource<Feature<Geometry>>();
  private droneSource = new VectorSource<Feature<Geometry>>();
  private rescueSource = new VectorSource<Feature<Geometry>>();
  private historySource = new VectorSource<Feature<LineString>>();
  private selected: number | null = null;
  private selectedAlert: number | null = null;
  private fitted = false;
  private styleCache = new Map<string, Style | Style[]>();

  constructor(target: HTMLElement, private store: TrackStore) {
    const land = new VectorImageLayer({
      source: new VectorSource(),
      style: new Style({
        fill: new Fill({ color: "#1e2a33" }),
        stroke: new Stroke({ color: "#58748a", width: 1 }),
      }),
      imageRatio: 1.5,
    });
    this.map = new OlMap({
      target,
      controls: [
        new Zoom(),
        new ScaleLine({ units: "nautical", bar: false }),
        new MousePosition({
          coordinateFormat: (c) => (c ? `${fmtLat(c[1])}  ${fmtLon(c[0])}` : ""),
          projection: "EPSG:4326",
          className: "mouse-position",
        }),
      ],
      layers: [
        land,
        new VectorImageLayer({ source: this.coverageSource, style: (f) => coverageStyle(f) }),
        new VectorLayer({ source: this.droneSource, style: droneStyle, updateWhileInteracting: false }),
        // Vessels and trails are drawn into an image, as land is: while the
        // operator pans and zooms, the image moves with the map and is
        // redrawn when the view settles (measured: ~55 fps panning with
        // 2,000 vessels against ~30 fps redrawing every feature each frame).
        new VectorImageLayer({ source: this.trailSource, style: (f) => this.trailStyle(f), imageRatio: 1.2 }),
        new VectorLayer({ source: this.historySource, style: HISTORY_STYLE }),
        new VectorLayer({ source: this.alertSource, style: (f) => this.alertStyle(f) }),
        new VectorLayer({ source: this.rescueSource, style: rescueStyle }),
        new VectorImageLayer({ source: this.vesselSource, style: (f, r) => this.vesselStyle(f, r), imageRatio: 1.2 }),
      ],
      view: new View({ center: fromLonLat([13.5, 36]), zoom: 7, maxZoom: 16 }),
    });
    loadLand(land.getSource()!);
    store.onFlush((changed, removed) => this.syncTracks(changed, removed));
  }

  // ------------------------------------------------------------- vessels

  private syncTracks(changed: Set<number>, removed: Set<number>): void {
    for (const id of removed) {
      const f = this.vesselSource.getFeatureById(id);
      if (f) this.vesselSource.removeFeature(f);
      const tr = this.trailSource.getFeatureById(id);
      if (tr) this.trailSource.removeFeature(tr);
    }
    const add: Feature<Point>[] = [];
    const addTrails: Feature<LineString>[] = [];
    for (const id of changed) {
      const t = this.store.tracks.get(id);
      if (!t) continue;
      const p = t.v.position;
      let f = this.vesselSource.getFeatureById(id) as Feature<Point> | null;
      if (!p) {
        if (f) this.vesselSource.removeFeature(f);
        continue;
      }
      const xy = fromLonLat([p.lonDeg, p.latDeg]);
      if (f) {
        f.set("t", t, true);
        f.getGeometry()!.setCoordinates(xy);
      } else {
        f = new Feature(new Point(xy));
        f.setId(id);
        f.set("t", t, true);
        add.push(f);
      }
      const line = this.trailCoords(t);
      let tf = this.trailSource.getFeatureById(id) as Feature<LineString> | null;
      if (line.length >= 2) {
        if (tf) {
          tf.set("t", t, true);
          tf.getGeometry()!.setCoordinates(line);
        } else {
          tf = new Feature(new LineString(line));
          tf.setId(id);
          tf.set("t", t, true);
          addTrails.push(tf);
        }
      } else if (tf) {
        this.trailSource.removeFeature(tf);
      }
    }
    if (add.length) this.vesselSource.addFeatures(add);
    if (addTrails.length) this.trailSource.addFeatures(addTrails);
    if (!this.fitted && this.vesselSource.getFeatures().length > 0) this.fitToVessels();
  }

  /** The trail to draw: the last ten minutes, or everything seen for the selected track. */
  private trailCoords(t: Track): number[][] {
    const pts = t.trail.pts;
    const from = t.id === this.selected ? 0 : serverNow() - SHORT_TRAIL_MS;
    const out: number[][] = [];
    for (let i = 0; i < pts.length; i += 3) {
      if (pts[i + 2] >= from) out.push([pts[i], pts[i + 1]]);
    }
    return out;
  }

  /** Redraws every trail (time moves on even for silent vessels). */
  refreshTrails(): void {
    this.syncTracks(new Set(this.store.tracks.keys()), new Set());
  }

  vesselCount(): number {
    return this.vesselSource.getFeatures().length;
  }

  private fitToVessels(): void {
    const coords = this.vesselSource.getFeatures().map((f) => f.getGeometry()!.getCoordinates());
    const ext = bufferExtent(boundingExtent(coords), 20_000);
    this.map.getView().fit(ext, { padding: [40, 40, 40, 40], maxZoom: 9 });
    this.fitted = true;
  }

  private vesselStyle(f: FeatureLike, resolution: number): Style | Style[] {
    const t = f.get("t") as Track;
    const v = t.v;
    const cat = category(v);
    const dark = cat === "dark";
    const moving = isMoving(v);
    const rot = moving ? Math.round((pointing(v) ?? 0) / 5) * 5 : 0;
    const pob = v.personsOnBoard;
    const overcrowded = !!pob?.overcrowded;
    const selected = t.id === this.selected;
    const counted = countedPob(v);
    const labelled = selected || dark || overcrowded || resolution < 25;
    const key = `${cat}|${moving ? rot : "s"}|${overcrowded ? 1 : 0}|${selected ? 1 : 0}`;
    let base = this.styleCache.get(key);
    if (!base) {
      base = makeVesselStyle(cat, moving, rot, overcrowded, selected);
      this.styleCache.set(key, base);
    }
    if (!labelled) return base;
    // Persons on board only where people were counted (a prior alone says little).
    const pobText = counted ? ` · POB ${counted.estimate} (${counted.low}–${counted.high})` : "";
    const label = dark && !selected ? `DARK${pobText}` : `${displayName(v)}${pobText}`;
    const text = new Style({
      text: new Text({
        text: label,
        font: `${selected ? "600 " : ""}12px system-ui, sans-serif`,
        offsetY: dark ? -20 : -15,
        fill: new Fill({ color: dark || overcrowded ? "#ffd1e6" : "#dfe7ee" }),
        stroke: new Stroke({ color: "#0b1116", width: 3 }),
      }),
    });
    return (Array.isArray(base) ? base : [base]).concat(text);
  }

  private trailStyle(f: FeatureLike): Style {
    const t = f.get("t") as Track;
    const cat = category(t.v);
    const selected = t.id === this.selected;
    const key = `trail|${cat}|${selected ? 1 : 0}`;
    let s = this.styleCache.get(key) as Style | undefined;
    if (!s) {
      const c = CATEGORY[cat].colour;
      s = new Style({
        stroke: new Stroke({
          color: selected ? "#ffffff" : withAlpha(c, cat === "dark" ? 0.8 : 0.45),
          width: selected ? 2.5 : cat === "dark" ? 2 : 1.25,
          lineDash: cat === "dark" && !selected ? [4, 3] : undefined,
        }),
      });
      this.styleCache.set(key, s);
    }
    return s;
  }

  select(trackId: number | null): void {
    const prev = this.selected;
    this.selected = trackId;
    const ids = new Set<number>();
    if (prev !== null) ids.add(prev);
    if (trackId !== null) ids.add(trackId);
    this.syncTracks(ids, new Set());
  }

  // -------------------------------------------------------------- alerts

  setAlerts(alerts: Alert[], selected: number | null): void {
    this.selectedAlert = selected;
    const want = new Set<number | string>();
    for (const a of alerts) {
      if (!a.position || a.state === AlertState.CLOSED || a.state === AlertState.RETRACTED) continue;
      const id = Number(a.alertId);
      want.add(id);
      const xy = fromLonLat([a.position.lonDeg, a.position.latDeg]);
      let f = this.alertSource.getFeatureById(id) as Feature<Point> | null;
      if (f) {
        f.set("a", a, true);
        f.getGeometry()!.setCoordinates(xy);
      } else {
        f = new Feature(new Point(xy));
        f.setId(id);
        f.set("a", a, true);
        this.alertSource.addFeature(f);
      }
    }
    // A lost contact's search datum: a geodesic circle, as of the alert's version
    // (the service re-versions it as the datum grows).
    for (const a of alerts) {
      const d = a.state === AlertState.CONTACT_LOST ? a.contactLost?.datum : undefined;
      if (!d?.position) continue;
      const id = `datum-${a.alertId}`;
      want.add(id);
      const ring = circular([d.position.lonDeg, d.position.latDeg], Math.max(d.radiusNm, 0.05) * 1852, 96).transform("EPSG:4326", "EPSG:3857");
      let f = this.alertSource.getFeatureById(id) as Feature<Geometry> | null;
      if (f) f.setGeometry(ring);
      else {
        f = new Feature(ring);
        f.setId(id);
        f.set("kind", "datum");
        this.alertSource.addFeature(f);
      }
    }
    for (const f of this.alertSource.getFeatures()) {
      const fid = f.getId();
      if (!want.has(typeof fid === "string" ? fid : Number(fid))) this.alertSource.removeFeature(f);
    }
    this.alertSource.changed();
  }

  private alertStyle(f: FeatureLike): Style[] {
    if (f.get("kind") === "datum") return [DATUM_STYLE];
    const a = f.get("a") as Alert;
    const acked = !!a.acknowledged;
    const selected = Number(a.alertId) === this.selectedAlert;
    const colour = a.rescue ? "#ff3b3b" : SEVERITY_COLOUR[a.severity] ?? "#8c99a6";
    const key = `alert|${colour}|${acked ? 1 : 0}|${selected ? 1 : 0}|${a.rescue ? 1 : 0}`;
    let s = this.styleCache.get(key) as Style[] | undefined;
    if (!s) {
      s = [
        new Style({
          image: new CircleStyle({
            radius: a.rescue ? 20 : 16,
            stroke: new Stroke({
              color: acked ? withAlpha(colour, 0.5) : colour,
              width: selected ? 4 : a.rescue ? 3 : 2,
              lineDash: acked ? [5, 4] : undefined,
            }),
          }),
        }),
      ];
      if (selected) {
        s.push(new Style({ image: new CircleStyle({ radius: (a.rescue ? 20 : 16) + 5, stroke: new Stroke({ color: "#ffffff", width: 1.5 }) }) }));
      }
      this.styleCache.set(key, s);
    }
    return s;
  }

  // ------------------------------------------------------------- sensors

  setSensors(sensors: Sensor[]): void {
    this.coverageSource.clear();
    for (const s of sensors) {
      if (s.sensorKind !== SensorKind.RADAR || !s.site) continue;
      const c: [number, number] = [s.site.lonDeg, s.site.latDeg];
      if (s.rangeM) {
        const ring = circular(c, s.rangeM, 128).transform("EPSG:4326", "EPSG:3857");
        const rf = new Feature(ring);
        rf.set("kind", "radar-range");
        this.coverageSource.addFeature(rf);
      }
      const site = new Feature(new Point(fromLonLat(c)));
      site.set("kind", "radar-site");
      site.set("name", s.sensorId);
      this.coverageSource.addFeature(site);
    }
  }

  setDroneLooks(looks: DroneLook[]): void {
    this.droneSource.clear();
    this.droneSource.addFeatures(
      looks.map((l) => {
        const f = new Feature(circular([l.lon, l.lat], DRONE_VIEW_M, 48).transform("EPSG:4326", "EPSG:3857"));
        f.set("age", serverNow() - l.at);
        return f;
      }),
    );
  }

  // -------------------------------------------------------------- rescue

  /** The selected vessel's archived trail ([lon, lat] oldest first), or none. */
  setHistory(points: [number, number][]): void {
    this.historySource.clear();
    if (points.length >= 2) this.historySource.addFeature(new Feature(new LineString(points.map((p) => fromLonLat(p)))));
  }

  setRescue(point: { lat: number; lon: number } | null, radiusM: number, results: NearVessel[]): void {
    this.rescueSource.clear();
    if (!point) return;
    const c: [number, number] = [point.lon, point.lat];
    const ring = new Feature(circular(c, radiusM, 128).transform("EPSG:4326", "EPSG:3857"));
    ring.set("kind", "radius");
    const p = new Feature(new Point(fromLonLat(c)));
    p.set("kind", "point");
    this.rescueSource.addFeatures([ring, p]);
    const extent = ring.getGeometry()!.getExtent();
    this.map.getView().fit(extent, { padding: [30, 30, 30, 30], duration: 600 });
    results.forEach((r, i) => {
      if (!r.positionNow) return;
      const f = new Feature(new Point(fromLonLat([r.positionNow.lonDeg, r.positionNow.latDeg])));
      f.set("kind", "hit");
      f.set("rank", String(i + 1));
      this.rescueSource.addFeature(f);
    });
  }

  // --------------------------------------------------------- interaction

  flyTo(lon: number, lat: number, zoom = 10): void {
    const view = this.map.getView();
    view.animate({ center: fromLonLat([lon, lat]), zoom: Math.max(view.getZoom() ?? zoom, zoom), duration: 700 });
  }

  /** Calls back with what was clicked: a vessel, an alert, or just a position. */
  onClick(cb: (hit: { trackId?: number; alertId?: number; lon: number; lat: number }) => void): void {
    this.map.on("singleclick", (e) => {
      const [lon, lat] = toLonLat(e.coordinate);
      let trackId: number | undefined;
      let alertId: number | undefined;
      this.map.forEachFeatureAtPixel(
        e.pixel,
        (f) => {
          const t = f.get("t") as Track | undefined;
          if (t && f.getGeometry()?.getType() === "Point" && trackId === undefined) trackId = t.id;
          const a = f.get("a") as Alert | undefined;
          if (a && alertId === undefined) alertId = Number(a.alertId);
          return trackId !== undefined;
        },
        { hitTolerance: 6 },
      );
      cb({ trackId, alertId, lon, lat });
    });
  }

  setCursor(c: string): void {
    (this.map.getTargetElement() as HTMLElement).style.cursor = c;
  }
}

// ------------------------------------------------------------------ styles

function makeVesselStyle(cat: keyof typeof CATEGORY, moving: boolean, rotDeg: number, overcrowded: boolean, selected: boolean): Style[] {
  const colour = CATEGORY[cat].colour;
  const dark = cat === "dark";
  const size = dark ? 1.5 : 1;
  const stroke = new Stroke({ color: dark ? "#ffffff" : "#0b1116", width: dark ? 1.5 : 1 });
  const fill = new Fill({ color: colour });
  const out: Style[] = [];
  if (dark) {
    // A halo so a boat with no AIS is found at a glance.
    out.push(new Style({ image: new CircleStyle({ radius: 13, fill: new Fill({ color: "rgba(255,45,138,0.18)" }), stroke: new Stroke({ color: "rgba(255,45,138,0.7)", width: 1 }) }) }));
  }
  if (overcrowded) {
    out.push(new Style({ image: new CircleStyle({ radius: 17, stroke: new Stroke({ color: "#ff3b3b", width: 3 }) }) }));
  }
  if (selected) {
    out.push(new Style({ image: new CircleStyle({ radius: 15, stroke: new Stroke({ color: "#ffffff", width: 2 }) }) }));
  }
  const shape = moving
    ? new RegularShape({ points: 3, radius: 7 * size, rotation: (rotDeg * Math.PI) / 180, rotateWithView: true, fill, stroke, scale: [0.75, 1.25] })
    : dark
      ? new RegularShape({ points: 4, radius: 7 * size, angle: 0, fill, stroke })
      : new CircleStyle({ radius: 4, fill, stroke });
  out.push(new Style({ image: shape, zIndex: dark ? 2 : 1 }));
  return out;
}

function coverageStyle(f: FeatureLike): Style {
  if (f.get("kind") === "radar-range") {
    return new Style({
      fill: new Fill({ color: "rgba(80,170,255,0.05)" }),
      stroke: new Stroke({ color: "rgba(110,180,255,0.55)", width: 1.2, lineDash: [8, 6] }),
    });
  }
  return new Style({
    image: new RegularShape({ points: 4, radius: 6, angle: Math.PI / 4, fill: new Fill({ color: "#6eb4ff" }), stroke: new Stroke({ color: "#0b1116", width: 1 }) }),
    text: new Text({
      text: f.get("name"),
      font: "11px system-ui, sans-serif",
      offsetY: 14,
      fill: new Fill({ color: "#9cc8ff" }),
      stroke: new Stroke({ color: "#0b1116", width: 3 }),
    }),
  });
}

const DRONE_STYLE = new Style({
  fill: new Fill({ color: "rgba(255,214,102,0.07)" }),
  stroke: new Stroke({ color: "rgba(255,214,102,0.55)", width: 1, lineDash: [3, 4] }),
});
function droneStyle(): Style {
  return DRONE_STYLE;
}

function rescueStyle(f: FeatureLike): Style {
  switch (f.get("kind")) {
    case "radius":
      return new Style({ stroke: new Stroke({ color: "#ff6b6b", width: 1.5, lineDash: [10, 6] }), fill: new Fill({ color: "rgba(255,80,80,0.05)" }) });
    case "point":
      return new Style({
        image: new RegularShape({ points: 4, radius: 11, radius2: 0, angle: Math.PI / 4, stroke: new Stroke({ color: "#ff6b6b", width: 3 }) }),
      });
    default:
      return new Style({
        image: new CircleStyle({ radius: 9, stroke: new Stroke({ color: "#ff9b9b", width: 1.5 }) }),
        text: new Text({ text: f.get("rank"), font: "bold 11px system-ui, sans-serif", offsetX: 12, offsetY: -10, fill: new Fill({ color: "#ffb3b3" }), stroke: new Stroke({ color: "#0b1116", width: 3 }) }),
      });
  }
}

function withAlpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

async function loadLand(source: VectorSource): Promise<void> {
  const topo = (await (await fetch(landUrl)).json()) as Topology;
  const geo = topojson.feature(topo, topo.objects.land);
  source.addFeatures(new GeoJSON().readFeatures(geo, { featureProjection: "EPSG:3857" }));
}

