//! The three export formats, written and read back (for `export verify`).
//!
//! - **GeoJSON** (RFC 7946): a FeatureCollection; a vessel's track is a `LineString` (a
//!   `Point` if it has one position: a line needs two) with per-position arrays `times`
//!   (RFC 3339), `sog_kn`, `cog_deg` and `archive_seq` in its properties; an alert version
//!   is a `Point` whose properties are the archived record's fields, nested objects
//!   flattened with dots (`persons_on_board.estimate`), plus `archive_seq` and `leaf_index`.
//!   Written with serde_json rather than the `geojson` crate: the document is a handful of
//!   fixed shapes, and `geojson` would only wrap the same `serde_json` values.
//! - **KML** (OGC 2.2, with Google's `gx:Track`): a track is a `gx:Track` (`<when>` and
//!   `<gx:coord>` per position, SOG, COG and archive seq as `gx:SimpleArrayData`); an alert
//!   version a `Point` placemark with every field as `<Data>`. Written and read with
//!   `quick-xml` (escaping of free text done right; `georust/kml` has no `gx:Track`).
//! - **CSV**: one row per position (`type` = `position`) and per alert version (`alert`),
//!   with `mmsi, time, lat, lon, sog_kn, cog_deg, archive_seq` and the alert's main fields
//!   in further columns (the full record is in the manifest). Written with the `csv` crate
//!   (quoting of explanations that hold commas, quotes and newlines).
//!
//! Every field of an alert is written as [`field_text`] gives it (in GeoJSON as the JSON
//! value itself), so verification compares what the file says with the archived record
//! exactly, not approximately.

use std::collections::BTreeMap;
use std::io::Write;

use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::{json, Value};

/// One position of a track.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Position time, ms since the Unix epoch.
    pub time_ms: i64,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Speed over ground, knots.
    pub sog_kn: Option<f32>,
    /// Course over ground, degrees true.
    pub cog_deg: Option<f32>,
    /// Sequence number of the archive record it was decoded from.
    pub seq: u64,
}

/// A vessel's positions in the window, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The vessel's MMSI.
    pub mmsi: u32,
    /// Its positions.
    pub points: Vec<Point>,
}

/// An alert version as exported: the archived record's fields, flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPoint {
    /// Sequence number of the archived record.
    pub archive_seq: u64,
    /// Its leaf index in the Merkle log.
    pub leaf_index: u64,
    /// Its fields ([`flatten`] of the record's JSON).
    pub fields: BTreeMap<String, Value>,
}

impl AlertPoint {
    /// Latitude and longitude, degrees (0 if the record has none, which alert records do).
    pub fn lat_lon(&self) -> (f64, f64) {
        let f = |k: &str| self.fields.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        (f("lat"), f("lon"))
    }

    fn text(&self, key: &str) -> String {
        self.fields.get(key).map(field_text).unwrap_or_default()
    }

    /// "Alert 3 v2 DARK_TARGET": a placemark's name.
    pub fn title(&self) -> String {
        format!("Alert {} v{} {}", self.text("alert_id"), self.text("version"), self.text("kind"))
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Geojson,
    Kml,
    Csv,
}

impl Format {
    /// The name on the command line and in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Format::Geojson => "geojson",
            Format::Kml => "kml",
            Format::Csv => "csv",
        }
    }

    /// The format of a manifest's `parameters.format`.
    pub fn from_name(s: &str) -> Option<Format> {
        [Format::Geojson, Format::Kml, Format::Csv].into_iter().find(|f| f.name() == s)
    }
}

/// Properties and columns an export adds to an alert's own fields.
pub const EXPORT_KEYS: [&str; 3] = ["record", "archive_seq", "leaf_index"];

/// An archived alert record's fields: nested objects flattened with dots, arrays kept whole.
pub fn flatten(v: &Value) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            _ => {
                out.insert(prefix.to_string(), v.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", v, &mut out);
    out
}

/// A field as text (KML and CSV): strings as they are, numbers and booleans as JSON writes
/// them, null as nothing, arrays as JSON.
pub fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// RFC 3339 with milliseconds, UTC.
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// An f32 as the f64 of its shortest decimal form: 102.2, not 102.19999694824219 (JSON
/// numbers are f64, and AIS gives SOG and COG to 0.1).
fn decimal(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// Writes tracks and alerts in `format`.
pub fn write(
    format: Format,
    w: &mut dyn Write,
    title: &str,
    tracks: &[Track],
    alerts: &[AlertPoint],
) -> std::io::Result<()> {
    match format {
        Format::Geojson => write_geojson(w, title, tracks, alerts),
        Format::Kml => write_kml(w, title, tracks, alerts),
        Format::Csv => write_csv(w, tracks, alerts),
    }
}

fn write_geojson(w: &mut dyn Write, title: &str, tracks: &[Track], alerts: &[AlertPoint]) -> std::io::Result<()> {
    // One feature per line: readable, and a diff shows which feature changed.
    write!(w, "{{\"type\":\"FeatureCollection\",\"name\":{},\"features\":[", json!(title))?;
    let mut first = true;
    let mut feature = |w: &mut dyn Write, f: Value| -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        serde_json::to_writer(&mut *w, &f).map_err(std::io::Error::other)
    };
    for t in tracks {
        let coords: Vec<Value> = t.points.iter().map(|p| json!([p.lon_deg, p.lat_deg])).collect();
        let geometry = if coords.len() == 1 {
            json!({"type": "Point", "coordinates": coords[0]})
        } else {
            json!({"type": "LineString", "coordinates": coords})
        };
        let props = json!({
            "record": "track",
            "mmsi": t.mmsi,
            "positions": t.points.len(),
            "times": t.points.iter().map(|p| rfc3339_ms(p.time_ms)).collect::<Vec<_>>(),
            "sog_kn": t.points.iter().map(|p| p.sog_kn.map(decimal)).collect::<Vec<_>>(),
            "cog_deg": t.points.iter().map(|p| p.cog_deg.map(decimal)).collect::<Vec<_>>(),
            "archive_seq": t.points.iter().map(|p| p.seq).collect::<Vec<_>>(),
        });
        feature(w, json!({"type": "Feature", "geometry": geometry, "properties": props}))?;
    }
    for a in alerts {
        let (lat, lon) = a.lat_lon();
        let mut props = serde_json::Map::new();
        props.insert("record".into(), json!("alert"));
        props.insert("archive_seq".into(), json!(a.archive_seq));
        props.insert("leaf_index".into(), json!(a.leaf_index));
        props.extend(a.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        let geometry = json!({"type": "Point", "coordinates": [lon, lat]});
        feature(w, json!({"type": "Feature", "geometry": geometry, "properties": props}))?;
    }
    w.write_all(b"\n]}\n")
}

type Xml<'a> = quick_xml::Writer<&'a mut dyn Write>;

fn text_element(x: &mut Xml<'_>, name: &str, text: &str) -> std::io::Result<()> {
    x.create_element(name).write_text_content(BytesText::new(text))?;
    Ok(())
}

fn data(x: &mut Xml<'_>, name: &str, value: &str) -> std::io::Result<()> {
    x.create_element("Data").with_attribute(("name", name)).write_inner_content(|x| text_element(x, "value", value))?;
    Ok(())
}

/// The per-position arrays of a `gx:Track` (name, display name, KML type).
const TRACK_ARRAYS: [(&str, &str, &str); 3] =
    [("sog_kn", "SOG (kn)", "float"), ("cog_deg", "COG (°)", "float"), ("archive_seq", "archive seq", "string")];

fn write_kml(w: &mut dyn Write, title: &str, tracks: &[Track], alerts: &[AlertPoint]) -> std::io::Result<()> {
    let mut x = quick_xml::Writer::new_with_indent(w, b' ', 1);
    x.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    x.create_element("kml")
        .with_attribute(("xmlns", "http://www.opengis.net/kml/2.2"))
        .with_attribute(("xmlns:gx", "http://www.google.com/kml/ext/2.2"))
        .write_inner_content(|x| {
            x.create_element("Document").write_inner_content(|x| {
                text_element(x, "name", title)?;
                x.create_element("Schema")
                    .with_attribute(("id", "lookout-track"))
                    .with_attribute(("name", "lookout-track"))
                    .write_inner_content(|x| {
                        for (name, display, ty) in TRACK_ARRAYS {
                            x.create_element("gx:SimpleArrayField")
                                .with_attribute(("name", name))
                                .with_attribute(("type", ty))
                                .write_inner_content(|x| text_element(x, "displayName", display))?;
                        }
                        Ok(())
                    })?;
                x.create_element("Folder").write_inner_content(|x| {
                    text_element(x, "name", "Tracks")?;
                    for t in tracks {
                        kml_track(x, t)?;
                    }
                    Ok(())
                })?;
                x.create_element("Folder").write_inner_content(|x| {
                    text_element(x, "name", "Alerts")?;
                    for a in alerts {
                        kml_alert(x, a)?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
    x.into_inner().write_all(b"\n")
}

fn kml_track(x: &mut Xml<'_>, t: &Track) -> std::io::Result<()> {
    let opt = |v: Option<f32>| v.map(|v| v.to_string()).unwrap_or_default();
    x.create_element("Placemark").write_inner_content(|x| {
        text_element(x, "name", &format!("MMSI {}", t.mmsi))?;
        x.create_element("ExtendedData").write_inner_content(|x| {
            data(x, "record", "track")?;
            data(x, "mmsi", &t.mmsi.to_string())?;
            data(x, "positions", &t.points.len().to_string())
        })?;
        x.create_element("gx:Track").write_inner_content(|x| {
            for p in &t.points {
                text_element(x, "when", &rfc3339_ms(p.time_ms))?;
            }
            for p in &t.points {
                text_element(x, "gx:coord", &format!("{} {} 0", p.lon_deg, p.lat_deg))?;
            }
            x.create_element("ExtendedData").write_inner_content(|x| {
                x.create_element("SchemaData").with_attribute(("schemaUrl", "#lookout-track")).write_inner_content(
                    |x| {
                        for (name, _, _) in TRACK_ARRAYS {
                            x.create_element("gx:SimpleArrayData").with_attribute(("name", name)).write_inner_content(
                                |x| {
                                    for p in &t.points {
                                        let v = match name {
                                            "sog_kn" => opt(p.sog_kn),
                                            "cog_deg" => opt(p.cog_deg),
                                            _ => p.seq.to_string(),
                                        };
                                        text_element(x, "gx:value", &v)?;
                                    }
                                    Ok(())
                                },
                            )?;
                        }
                        Ok(())
                    },
                )?;
                Ok(())
            })?;
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

fn kml_alert(x: &mut Xml<'_>, a: &AlertPoint) -> std::io::Result<()> {
    let (lat, lon) = (a.text("lat"), a.text("lon"));
    x.create_element("Placemark").write_inner_content(|x| {
        text_element(x, "name", &a.title())?;
        text_element(x, "description", &a.text("explanation"))?;
        x.create_element("TimeStamp").write_inner_content(|x| text_element(x, "when", &a.text("updated_at")))?;
        x.create_element("ExtendedData").write_inner_content(|x| {
            data(x, "record", "alert")?;
            data(x, "archive_seq", &a.archive_seq.to_string())?;
            data(x, "leaf_index", &a.leaf_index.to_string())?;
            for (k, v) in &a.fields {
                data(x, k, &field_text(v))?;
            }
            Ok(())
        })?;
        x.create_element("Point").write_inner_content(|x| text_element(x, "coordinates", &format!("{lon},{lat}")))?;
        Ok(())
    })?;
    Ok(())
}

/// CSV columns after `type`, and the alert field each holds (`None`: positions only, or
/// the export's own).
const CSV_COLUMNS: [(&str, Option<&str>); 24] = [
    ("mmsi", Some("mmsi")),
    ("time", Some("updated_at")),
    ("lat", Some("lat")),
    ("lon", Some("lon")),
    ("sog_kn", None),
    ("cog_deg", None),
    ("archive_seq", None),
    ("alert_id", Some("alert_id")),
    ("version", Some("version")),
    ("kind", Some("kind")),
    ("severity", Some("severity")),
    ("state", Some("state")),
    ("rescue", Some("rescue")),
    ("score", Some("score")),
    ("persons_on_board", Some("persons_on_board.estimate")),
    ("persons_low", Some("persons_on_board.low")),
    ("persons_high", Some("persons_on_board.high")),
    ("persons_basis", Some("persons_on_board.basis")),
    ("track_id", Some("track_id")),
    ("opened_at", Some("opened_at")),
    ("closed_at", Some("closed_at")),
    ("acknowledged_by", Some("acknowledged.by")),
    ("explanation", Some("explanation")),
    ("leaf_index", None),
];

fn write_csv(w: &mut dyn Write, tracks: &[Track], alerts: &[AlertPoint]) -> std::io::Result<()> {
    let mut c = csv::Writer::from_writer(w);
    let header: Vec<&str> = std::iter::once("type").chain(CSV_COLUMNS.iter().map(|(n, _)| *n)).collect();
    c.write_record(&header)?;
    let opt = |v: Option<f32>| v.map(|v| v.to_string()).unwrap_or_default();
    for t in tracks {
        for p in &t.points {
            let mut row = vec![String::new(); header.len()];
            row[0] = "position".into();
            for (i, (name, _)) in CSV_COLUMNS.iter().enumerate() {
                row[i + 1] = match *name {
                    "mmsi" => t.mmsi.to_string(),
                    "time" => rfc3339_ms(p.time_ms),
                    "lat" => p.lat_deg.to_string(),
                    "lon" => p.lon_deg.to_string(),
                    "sog_kn" => opt(p.sog_kn),
                    "cog_deg" => opt(p.cog_deg),
                    "archive_seq" => p.seq.to_string(),
                    _ => String::new(),
                };
            }
            c.write_record(&row)?;
        }
    }
    for a in alerts {
        let mut row = vec![String::new(); header.len()];
        row[0] = "alert".into();
        for (i, (name, key)) in CSV_COLUMNS.iter().enumerate() {
            row[i + 1] = match (*name, key) {
                ("archive_seq", _) => a.archive_seq.to_string(),
                ("leaf_index", _) => a.leaf_index.to_string(),
                (_, Some(k)) => a.text(k),
                _ => String::new(),
            };
        }
        c.write_record(&row)?;
    }
    c.flush()
}

/// A track as read back: its label, vessel, and each position with its archive seq.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTrack {
    /// Where it is in the file ("feature 3", "placemark 2", "rows of MMSI 247…").
    pub label: String,
    /// The vessel (`None` if missing or not a number).
    pub mmsi: Option<u32>,
    /// The archive seq of each position, in file order.
    pub seqs: Vec<u64>,
    /// Positions (coordinates) in the file: must equal `seqs.len()`.
    pub positions: usize,
    /// Each position's time and place as the file gives them, in file order (checked
    /// against the archive's records by `export verify --archive`).
    pub points: Vec<ParsedPoint>,
}

/// A track position as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPoint {
    /// Its time, ms since the Unix epoch (`None` if missing or not RFC 3339).
    pub time_ms: Option<i64>,
    /// Latitude and longitude, degrees (`None` if missing or malformed).
    pub lat_lon: Option<(f64, f64)>,
}

fn time_of(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.timestamp_millis())
}

/// GeoJSON `[lon, lat]` as (lat, lon).
fn json_lat_lon(c: &Value) -> Option<(f64, f64)> {
    match c.as_array()?.as_slice() {
        [lon, lat, ..] => Some((lat.as_f64()?, lon.as_f64()?)),
        _ => None,
    }
}

/// An alert's fields as the file gives them.
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    /// JSON values (GeoJSON), every field.
    Json(BTreeMap<String, Value>),
    /// Text (KML: every field; CSV: only its columns, `complete` false).
    Text {
        /// Field → text.
        values: BTreeMap<String, String>,
        /// Whether every field of the record is expected (KML) or only these (CSV).
        complete: bool,
    },
}

/// An alert point as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedAlert {
    /// Where it is in the file.
    pub label: String,
    /// The archive seq it claims (`None` if missing or not a number).
    pub archive_seq: Option<u64>,
    /// Its fields, without the export's own (`record`, `archive_seq`, `leaf_index`).
    pub fields: Fields,
    /// Its point, degrees (`None` if missing or malformed).
    pub lat_lon: Option<(f64, f64)>,
    /// Presentation that repeats a field (KML name, description, time stamp): (what, text,
    /// field it must equal, or the title for `name`).
    pub shown: Vec<(String, String, String)>,
}

/// What a file holds, as verification needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Tracks.
    pub tracks: Vec<ParsedTrack>,
    /// Alert points.
    pub alerts: Vec<ParsedAlert>,
}

/// Reads an export back. Fails only if the file is not of the format at all; anything odd
/// inside is left for verification to name.
pub fn read(format: Format, bytes: &[u8]) -> Result<Parsed, String> {
    match format {
        Format::Geojson => read_geojson(bytes),
        Format::Kml => read_kml(bytes),
        Format::Csv => read_csv(bytes),
    }
}

fn read_geojson(bytes: &[u8]) -> Result<Parsed, String> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let features = doc.get("features").and_then(Value::as_array).ok_or("not a GeoJSON FeatureCollection")?;
    let mut out = Parsed::default();
    for (i, f) in features.iter().enumerate() {
        let label = format!("feature {i}");
        let props = f.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let coords = f.pointer("/geometry/coordinates");
        match props.get("record").and_then(Value::as_str) {
            Some("track") => {
                let positions = match f.pointer("/geometry/type").and_then(Value::as_str) {
                    Some("Point") => 1,
                    _ => coords.and_then(Value::as_array).map_or(0, Vec::len),
                };
                let seqs = props
                    .get("archive_seq")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|v| v.as_u64().unwrap_or(u64::MAX)).collect())
                    .unwrap_or_default();
                let places: Vec<Option<(f64, f64)>> =
                    match (f.pointer("/geometry/type").and_then(Value::as_str), coords) {
                        (Some("Point"), Some(c)) => vec![json_lat_lon(c)],
                        (_, Some(Value::Array(cs))) => cs.iter().map(json_lat_lon).collect(),
                        _ => vec![],
                    };
                let times = props.get("times").and_then(Value::as_array).cloned().unwrap_or_default();
                let points = places
                    .into_iter()
                    .enumerate()
                    .map(|(i, lat_lon)| ParsedPoint {
                        time_ms: times.get(i).and_then(Value::as_str).and_then(time_of),
                        lat_lon,
                    })
                    .collect();
                let mmsi = props.get("mmsi").and_then(Value::as_u64).and_then(|m| u32::try_from(m).ok());
                out.tracks.push(ParsedTrack { label, mmsi, seqs, positions, points });
            }
            Some("alert") => {
                let archive_seq = props.get("archive_seq").and_then(Value::as_u64);
                let lat_lon = coords.and_then(Value::as_array).and_then(|c| match c[..] {
                    [Value::Number(ref lon), Value::Number(ref lat)] => Some((lat.as_f64()?, lon.as_f64()?)),
                    _ => None,
                });
                let fields = props.into_iter().filter(|(k, _)| !EXPORT_KEYS.contains(&k.as_str())).collect();
                out.alerts.push(ParsedAlert {
                    label,
                    archive_seq,
                    fields: Fields::Json(fields),
                    lat_lon,
                    shown: vec![],
                });
            }
            _ => return Err(format!("{label} is neither a track nor an alert (properties.record)")),
        }
    }
    Ok(out)
}

fn parse_lat_lon(lon: &str, lat: &str) -> Option<(f64, f64)> {
    Some((lat.trim().parse().ok()?, lon.trim().parse().ok()?))
}

fn read_kml(bytes: &[u8]) -> Result<Parsed, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut r = quick_xml::Reader::from_str(text);
    let mut out = Parsed::default();
    let mut path: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut placemarks = 0;
    // The placemark being read.
    let mut data: BTreeMap<String, String> = BTreeMap::new();
    let mut data_name = String::new();
    let mut array_name = String::new();
    let mut arrays: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut whens, mut coords): (Vec<String>, Vec<String>) = (vec![], vec![]);
    let (mut name, mut description, mut when, mut point) = (None, None, None, None);
    loop {
        let ev = r.read_event().map_err(|e| format!("not well-formed XML at byte {}: {e}", r.buffer_position()))?;
        match ev {
            Event::Start(e) => {
                let local = e.local_name().as_ref().to_string();
                let attr = |n: &str| {
                    e.try_get_attribute(n)
                        .ok()
                        .flatten()
                        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Explicit1_0).ok())
                        .map(|v| v.into_owned())
                };
                match local.as_str() {
                    "Data" => data_name = attr("name").unwrap_or_default(),
                    "SimpleArrayData" => array_name = attr("name").unwrap_or_default(),
                    _ => {}
                }
                path.push(local);
                buf.clear();
            }
            Event::Empty(e) => {
                // An empty <gx:value/> is a missing value; an empty <value/> an empty field.
                let local = e.local_name().as_ref().to_string();
                match (local.as_str(), path.last().map(String::as_str)) {
                    ("value", Some("SimpleArrayData")) => {
                        arrays.entry(array_name.clone()).or_default().push(String::new())
                    }
                    ("value", Some("Data")) => {
                        data.insert(data_name.clone(), String::new());
                    }
                    _ => {}
                }
            }
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(t) => buf.push_str(&t.xml10_content()),
            Event::GeneralRef(g) => match g.resolve_char_ref() {
                Ok(Some(c)) => buf.push(c),
                _ => match quick_xml::escape::resolve_predefined_entity(&g) {
                    Some(s) => buf.push_str(s),
                    None => return Err(format!("unknown entity &{};", &*g)),
                },
            },
            Event::End(_) => {
                let local = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let text = std::mem::take(&mut buf);
                match (local.as_str(), parent) {
                    ("value", "Data") => {
                        data.insert(data_name.clone(), text);
                    }
                    ("value", "SimpleArrayData") => arrays.entry(array_name.clone()).or_default().push(text),
                    ("when", "Track") => whens.push(text),
                    ("when", "TimeStamp") => when = Some(text),
                    ("coord", "Track") => coords.push(text),
                    ("coordinates", "Point") => point = Some(text),
                    ("name", "Placemark") => name = Some(text),
                    ("description", "Placemark") => description = Some(text),
                    ("Placemark", _) => {
                        let label = format!("placemark {placemarks}");
                        placemarks += 1;
                        match data.get("record").map(String::as_str) {
                            Some("track") => {
                                let seqs = arrays
                                    .remove("archive_seq")
                                    .unwrap_or_default()
                                    .iter()
                                    .map(|s| s.trim().parse().unwrap_or(u64::MAX))
                                    .collect::<Vec<u64>>();
                                if whens.len() != coords.len() {
                                    return Err(format!(
                                        "{label}: {} <when> but {} <gx:coord>",
                                        whens.len(),
                                        coords.len()
                                    ));
                                }
                                let points = whens
                                    .iter()
                                    .zip(&coords)
                                    .map(|(w, c)| {
                                        let mut it = c.split_whitespace();
                                        ParsedPoint {
                                            time_ms: time_of(w),
                                            lat_lon: it.next().zip(it.next()).and_then(|(o, a)| parse_lat_lon(o, a)),
                                        }
                                    })
                                    .collect();
                                let mmsi = data.get("mmsi").and_then(|m| m.trim().parse().ok());
                                out.tracks.push(ParsedTrack { label, mmsi, seqs, positions: coords.len(), points });
                            }
                            Some("alert") => {
                                let archive_seq = data.get("archive_seq").and_then(|s| s.parse().ok());
                                let lat_lon = point.as_deref().and_then(|p| {
                                    let mut it = p.trim().split(',');
                                    parse_lat_lon(it.next()?, it.next()?)
                                });
                                let mut shown = Vec::new();
                                for (what, v, field) in [
                                    ("name", name.take(), "(title)"),
                                    ("description", description.take(), "explanation"),
                                    ("TimeStamp", when.take(), "updated_at"),
                                ] {
                                    shown.push((what.to_string(), v.unwrap_or_default(), field.to_string()));
                                }
                                let values = data
                                    .iter()
                                    .filter(|(k, _)| !EXPORT_KEYS.contains(&k.as_str()))
                                    .map(|(k, v)| (k.clone(), v.clone()))
                                    .collect();
                                out.alerts.push(ParsedAlert {
                                    label,
                                    archive_seq,
                                    fields: Fields::Text { values, complete: true },
                                    lat_lon,
                                    shown,
                                });
                            }
                            _ => return Err(format!("{label} is neither a track nor an alert (Data record)")),
                        }
                        data.clear();
                        arrays.clear();
                        (whens, coords) = (vec![], vec![]);
                        (name, description, when, point) = (None, None, None, None);
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn read_csv(bytes: &[u8]) -> Result<Parsed, String> {
    let mut r = csv::Reader::from_reader(bytes);
    let header: Vec<String> = r.headers().map_err(|e| format!("not CSV: {e}"))?.iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(ty), Some(mmsi), Some(seq)) = (col("type"), col("mmsi"), col("archive_seq")) else {
        return Err("CSV without the columns type, mmsi and archive_seq".into());
    };
    let mut out = Parsed::default();
    let mut tracks: BTreeMap<String, ParsedTrack> = BTreeMap::new();
    for (i, row) in r.records().enumerate() {
        let row = row.map_err(|e| format!("CSV row {}: {e}", i + 2))?;
        let label = format!("row {}", i + 2); // line 1 is the header
        let cell = |c: usize| row.get(c).unwrap_or("").to_string();
        match row.get(ty) {
            Some("position") => {
                let m = cell(mmsi);
                let t = tracks.entry(m.clone()).or_insert_with(|| ParsedTrack {
                    label: format!("positions of MMSI {m}"),
                    mmsi: m.trim().parse().ok(),
                    seqs: vec![],
                    positions: 0,
                    points: vec![],
                });
                t.seqs.push(cell(seq).parse().unwrap_or(u64::MAX));
                t.positions += 1;
                let at = |name: &str| col(name).map(&cell).unwrap_or_default();
                t.points.push(ParsedPoint {
                    time_ms: time_of(&at("time")),
                    lat_lon: parse_lat_lon(&at("lon"), &at("lat")),
                });
            }
            Some("alert") => {
                let mut values = BTreeMap::new();
                for (name, key) in CSV_COLUMNS {
                    if let (Some(k), Some(c)) = (key, col(name)) {
                        values.insert(k.to_string(), cell(c));
                    }
                }
                let lat_lon = match (col("lat"), col("lon")) {
                    (Some(a), Some(o)) => parse_lat_lon(&cell(o), &cell(a)),
                    _ => None,
                };
                out.alerts.push(ParsedAlert {
                    label,
                    archive_seq: cell(seq).parse().ok(),
                    fields: Fields::Text { values, complete: false },
                    lat_lon,
                    shown: vec![],
                });
            }
            other => return Err(format!("{label}: type {other:?} is neither position nor alert")),
        }
    }
    out.tracks = tracks.into_values().collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<Track>, Vec<AlertPoint>) {
        let p = |i: u64| Point {
            time_ms: 1_780_272_000_000 + i as i64 * 60_000,
            lat_deg: 35.5 + i as f64 * 0.01,
            lon_deg: 12.25,
            sog_kn: if i == 1 { None } else { Some(12.3) },
            cog_deg: Some(181.5),
            seq: 40 + i,
        };
        let tracks = vec![
            Track { mmsi: 247_000_001, points: vec![p(0), p(1), p(2)] },
            Track { mmsi: 247_000_002, points: vec![p(3)] },
        ];
        let record = json!({
            "seq": 7, "alert_id": 3, "version": 2, "kind": "RENDEZVOUS", "severity": "HIGH", "score": 4.25,
            "state": "OPEN", "opened_at": "2026-06-01T00:10:00Z", "updated_at": "2026-06-01T00:12:00Z",
            "lat": 35.123456789, "lon": 12.5, "mmsi": 247000001, "rescue": false,
            "persons_on_board": {"estimate": 80, "low": 60, "high": 95, "basis": "counted"},
            "explanation": "Met \"a\" boat, <no AIS> & left;\nsecond line, with commas",
            "evidence": {"distance_m": "120", "partner": "dark track 12"},
        });
        (tracks, vec![AlertPoint { archive_seq: 99, leaf_index: 5, fields: flatten(&record) }])
    }

    #[test]
    fn each_format_reads_back_what_was_written() {
        let (tracks, alerts) = sample();
        for format in [Format::Geojson, Format::Kml, Format::Csv] {
            let mut out = Vec::new();
            write(format, &mut out, "test <export>", &tracks, &alerts).unwrap();
            let p = read(format, &out).unwrap_or_else(|e| panic!("{format:?}: {e}\n{}", String::from_utf8_lossy(&out)));
            assert_eq!(p.tracks.len(), 2, "{format:?}");
            let mut seqs: Vec<Vec<u64>> = p.tracks.iter().map(|t| t.seqs.clone()).collect();
            seqs.sort();
            assert_eq!(seqs, vec![vec![40, 41, 42], vec![43]], "{format:?}");
            assert!(p.tracks.iter().all(|t| t.positions == t.seqs.len()));
            // Times and places read back exactly (floats are written shortest-round-trip).
            for t in &tracks {
                let back = p.tracks.iter().find(|b| b.mmsi == Some(t.mmsi)).expect("the track by its MMSI");
                let want: Vec<ParsedPoint> = t
                    .points
                    .iter()
                    .map(|q| ParsedPoint { time_ms: Some(q.time_ms), lat_lon: Some((q.lat_deg, q.lon_deg)) })
                    .collect();
                assert_eq!(back.points, want, "{format:?}");
            }
            assert_eq!(p.alerts.len(), 1);
            let a = &p.alerts[0];
            assert_eq!(a.archive_seq, Some(99));
            assert_eq!(a.lat_lon, Some((35.123456789, 12.5)), "{format:?}");
            let want = &alerts[0].fields;
            match &a.fields {
                Fields::Json(f) => assert_eq!(f, want),
                Fields::Text { values, complete } => {
                    for (k, v) in values {
                        assert_eq!(*v, want.get(k).map(field_text).unwrap_or_default(), "{format:?} {k}");
                    }
                    if *complete {
                        assert_eq!(values.len(), want.len());
                    } else {
                        assert_eq!(values["explanation"], want["explanation"].as_str().unwrap());
                    }
                }
            }
        }
    }

    #[test]
    fn flattening_names_nested_fields_with_dots() {
        let f = flatten(&json!({"a": 1, "b": {"c": "x", "d": {"e": null}}, "l": [1, 2]}));
        assert_eq!(f.keys().collect::<Vec<_>>(), ["a", "b.c", "b.d.e", "l"]);
        assert_eq!(field_text(&f["l"]), "[1,2]");
        assert_eq!(field_text(&f["b.d.e"]), "");
    }
}
