//! Land for the baseline map: polygons decoded from a TopoJSON topology (the
//! console's Natural Earth `land-50m.json`, which the caller passes in, so the
//! binary embeds one copy). Only what `render` needs is decoded: polygon and
//! multipolygon rings, in longitude/latitude degrees.

use std::collections::HashMap;

use serde::Deserialize;

use super::BaselineError;

/// Land polygons to draw under a baseline: filled where there is no traffic,
/// and outlined (the coastline) everywhere.
#[derive(Debug, Clone, Default)]
pub struct Basemap {
    /// Closed rings (first point repeated last), (lon, lat) in degrees WGS84.
    /// Outer rings and holes alike: the fill is even-odd, so lakes stay open.
    pub(crate) rings: Vec<Ring>,
}

#[derive(Debug, Clone)]
pub(crate) struct Ring {
    pub points: Vec<(f64, f64)>,
    /// (min_lon, min_lat, max_lon, max_lat), degrees, to skip rings off the map.
    pub bbox: (f64, f64, f64, f64),
}

/// The parts of a TopoJSON topology (RFC-like spec:
/// <https://github.com/topojson/topojson-specification>) that carry polygons.
#[derive(Deserialize)]
struct Topology {
    #[serde(default)]
    transform: Option<Transform>,
    arcs: Vec<Vec<Vec<f64>>>,
    objects: HashMap<String, TopoObject>,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

/// A geometry object, by its `type` (variants named as the spec names them).
#[derive(Deserialize)]
#[serde(tag = "type")]
enum TopoObject {
    GeometryCollection {
        geometries: Vec<TopoObject>,
    },
    Polygon {
        arcs: Vec<Vec<i64>>,
    },
    MultiPolygon {
        arcs: Vec<Vec<Vec<i64>>>,
    },
    /// Points and lines: not land.
    #[serde(other)]
    Other,
}

impl Basemap {
    /// Decodes the polygons of `object` in a TopoJSON topology.
    pub fn from_topojson(bytes: &[u8], object: &str) -> Result<Basemap, BaselineError> {
        let bad = |m: String| BaselineError::Render(format!("basemap: {m}"));
        let topo: Topology = serde_json::from_slice(bytes).map_err(|e| bad(format!("not TopoJSON: {e}")))?;
        // Quantised topologies store each arc as a first position and then
        // deltas, in integer steps of `scale` from `translate`.
        let arcs: Vec<Vec<(f64, f64)>> = topo
            .arcs
            .iter()
            .map(|arc| {
                let (mut x, mut y) = (0.0, 0.0);
                arc.iter()
                    .filter(|p| p.len() >= 2)
                    .map(|p| match &topo.transform {
                        Some(t) => {
                            x += p[0];
                            y += p[1];
                            (x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1])
                        }
                        None => (p[0], p[1]),
                    })
                    .collect()
            })
            .collect();
        let root = topo.objects.get(object).ok_or_else(|| bad(format!("no object {object:?}")))?;
        let mut map = Basemap::default();
        let mut stack = vec![root];
        while let Some(g) = stack.pop() {
            match g {
                TopoObject::GeometryCollection { geometries } => stack.extend(geometries),
                TopoObject::Polygon { arcs: rings } => {
                    for r in rings {
                        map.rings.push(ring(&arcs, r).map_err(bad)?);
                    }
                }
                TopoObject::MultiPolygon { arcs: polys } => {
                    for r in polys.iter().flatten() {
                        map.rings.push(ring(&arcs, r).map_err(bad)?);
                    }
                }
                TopoObject::Other => {}
            }
        }
        Ok(map)
    }

    /// Number of rings (outer and holes).
    pub fn ring_count(&self) -> usize {
        self.rings.len()
    }
}

/// Joins a ring's arcs: index `!i` (negative) is arc `i` reversed, and each
/// arc after the first starts where the one before ended, so its first
/// point is dropped.
fn ring(arcs: &[Vec<(f64, f64)>], refs: &[i64]) -> Result<Ring, String> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    for &i in refs {
        let (k, reversed) = if i < 0 { (!i as usize, true) } else { (i as usize, false) };
        let arc = arcs.get(k).ok_or_else(|| format!("arc {i} out of range ({} arcs)", arcs.len()))?;
        let skip = usize::from(!points.is_empty());
        if reversed {
            points.extend(arc.iter().rev().skip(skip));
        } else {
            points.extend(arc.iter().skip(skip));
        }
    }
    let mut bbox = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &(x, y) in &points {
        bbox = (bbox.0.min(x), bbox.1.min(y), bbox.2.max(x), bbox.3.max(y));
    }
    Ok(Ring { points, bbox })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_arcs_are_summed_and_reversed_arcs_joined() {
        // Two arcs forming a unit square: the bottom and right edges, then
        // the top and left edges given backwards (referenced as !1).
        let t = r#"{"type":"Topology","transform":{"scale":[0.5,0.25],"translate":[10,20]},
            "arcs":[[[0,0],[2,0],[0,4]],[[0,0],[0,4],[2,0]]],
            "objects":{"land":{"type":"GeometryCollection","geometries":[
                {"type":"Polygon","arcs":[[0,-2]]},{"type":"Point","coordinates":[1,2]}]}}}"#;
        let m = Basemap::from_topojson(t.as_bytes(), "land").unwrap();
        assert_eq!(m.rings.len(), 1);
        assert_eq!(m.rings[0].points, vec![(10.0, 20.0), (11.0, 20.0), (11.0, 21.0), (10.0, 21.0), (10.0, 20.0)]);
        assert_eq!(m.rings[0].bbox, (10.0, 20.0, 11.0, 21.0));
        assert!(Basemap::from_topojson(t.as_bytes(), "sea").is_err());
        assert!(Basemap::from_topojson(b"{}", "land").is_err());
    }
}
