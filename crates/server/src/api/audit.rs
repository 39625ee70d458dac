//! What an audit record says about a call beyond who made it and how it ended: the role
//! that allowed it, the purpose it served, what it asked about and how much it was
//! answered (issue 17).
//!
//! The access layer puts an empty [`Note`] into each audited request's extensions; the
//! handler writes the call's arguments and result count into it, and the layer reads it
//! back when it writes the record. Calls that are not audited (no archive) get no note,
//! and then the handler formats nothing.

use std::sync::Arc;

use lookout_picture::Area;
use tonic::codegen::http;

use crate::config::Role;

/// The request header a client may send to say what a call is for, beyond its role's
/// purpose (e.g. `lookout-purpose: case 2026-117`). Untrusted: stored escaped, at most
/// [`MAX_PURPOSE_CHARS`] characters.
pub const PURPOSE_HEADER: &str = "lookout-purpose";
/// Longest stored purpose refinement, characters (after escaping).
pub const MAX_PURPOSE_CHARS: usize = 80;
/// Longest stored argument summary, characters (after escaping): a polygon is summarised
/// by its vertex count and bounding box, never listed.
pub const MAX_ARGS_CHARS: usize = 200;

/// What the handler noted about a call.
#[derive(Debug, Default)]
pub struct Noted {
    /// A short summary of what was asked about (escaped, bounded).
    pub args: String,
    /// Items answered (vessels, alerts, points, entries); `None` for a stream, whose
    /// record is written when it opens, and for a call that failed.
    pub results: Option<u64>,
}

/// The slot one call's handler fills (shared with the access layer).
#[derive(Debug, Clone, Default)]
pub struct Note(Option<Arc<parking_lot::Mutex<Noted>>>);

impl Note {
    /// An attached slot, for the access layer to insert into a request.
    pub(super) fn attached() -> Self {
        Self(Some(Default::default()))
    }

    /// The slot of `req`, or a detached one that records nothing when the call is not
    /// audited.
    pub fn of<T>(req: &tonic::Request<T>) -> Self {
        req.extensions().get::<Note>().cloned().unwrap_or_default()
    }

    /// Notes what the call asked about; `summary` runs only when the call is audited.
    pub fn args(&self, summary: impl FnOnce() -> String) {
        if let Some(n) = &self.0 {
            n.lock().args = escaped(&summary(), MAX_ARGS_CHARS);
        }
    }

    /// Notes how many items the call answered.
    pub fn results(&self, n: usize) {
        if let Some(s) = &self.0 {
            s.lock().results = Some(n as u64);
        }
    }

    /// What was noted, leaving the slot empty.
    pub(super) fn take(&self) -> Noted {
        self.0.as_ref().map(|n| std::mem::take(&mut *n.lock())).unwrap_or_default()
    }
}

/// `s` with control characters, quotes and backslashes escaped (Rust's `escape_debug`),
/// cut at `max` characters (then ending in "…"): untrusted text cannot forge a line or
/// a field of the audit, nor fill it.
pub fn escaped(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 3));
    for (i, c) in s.chars().flat_map(char::escape_debug).enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

/// The purpose a role's calls serve: what the data may be used for.
pub fn role_purpose(role: Role) -> &'static str {
    match role {
        Role::Rescue => "rescue",
        Role::Viewer | Role::Operator => "surveillance",
        Role::Analyst => "investigation",
        Role::Feeder => "feeding",
        Role::Admin => "administration",
    }
}

/// The purpose recorded for a call: the role's, refined by the client's
/// [`PURPOSE_HEADER`] as "role purpose: header" (escaped and bounded); the header alone
/// when no role allowed the call; empty without either.
pub fn purpose(role: Option<Role>, headers: &http::HeaderMap) -> String {
    let said = headers
        .get(PURPOSE_HEADER)
        .map(|v| escaped(&String::from_utf8_lossy(v.as_bytes()), MAX_PURPOSE_CHARS))
        .filter(|s| !s.trim().is_empty());
    match (role.map(role_purpose), said) {
        (Some(r), Some(s)) => format!("{r}: {s}"),
        (Some(r), None) => r.to_string(),
        (None, Some(s)) => s,
        (None, None) => String::new(),
    }
}

/// An area in a few words: "world", "bbox 35.000,12.000..36.000,13.000" (min lat,lon
/// .. max lat,lon, degrees), or "polygon of 7 vertices within bbox …".
pub fn area(a: &Area) -> String {
    let bbox = |a: &Area| {
        a.envelopes()
            .iter()
            .map(|([min_lon, min_lat], [max_lon, max_lat])| {
                format!("{min_lat:.3},{min_lon:.3}..{max_lat:.3},{max_lon:.3}")
            })
            .collect::<Vec<_>>()
            .join("+")
    };
    match a {
        Area::World => "world".into(),
        Area::BBox { .. } => format!("bbox {}", bbox(a)),
        Area::Polygon(p) => format!("polygon of {} vertices within bbox {}", p.vertices(), bbox(a)),
    }
}

/// A window in a few words: "2026-12-01T02:00:00Z..2026-12-01T03:00:00Z".
pub fn window(from_ms: i64, to_ms: i64) -> String {
    format!("{}..{}", lookout_core::time::rfc3339_ms(from_ms), lookout_core::time::rfc3339_ms(to_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records archived before role, purpose, args and results were recorded still read.
    #[test]
    fn an_older_audit_record_reads_back_without_the_new_fields() {
        let old = br#"{"operator":"watch","method":"/lookout.v1.Lookout/Stats","peer":"127.0.0.1:5","outcome":"OK"}"#;
        let r: crate::store::AuditRecord = serde_json::from_slice(old).unwrap();
        assert_eq!((r.operator.as_str(), r.role.as_str(), r.args.as_str(), r.results), ("watch", "", "", None));
    }

    #[test]
    fn untrusted_text_is_escaped_and_bounded() {
        assert_eq!(escaped("case 17", 80), "case 17");
        assert_eq!(escaped("a\nb\"c\u{1b}[31m", 80), "a\\nb\\\"c\\u{1b}[31m");
        let long = escaped(&"x".repeat(500), MAX_ARGS_CHARS);
        assert_eq!(long.chars().count(), MAX_ARGS_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn the_purpose_is_the_roles_refined_by_the_header() {
        let mut h = http::HeaderMap::new();
        assert_eq!(purpose(Some(Role::Rescue), &h), "rescue");
        assert_eq!(purpose(None, &h), "");
        h.insert(PURPOSE_HEADER, http::HeaderValue::from_static("case 2026-117"));
        assert_eq!(purpose(Some(Role::Analyst), &h), "investigation: case 2026-117");
        assert_eq!(purpose(None, &h), "case 2026-117");
    }

    #[test]
    fn a_detached_note_records_nothing_and_formats_nothing() {
        let n = Note::default();
        n.args(|| unreachable!("not audited: nothing is formatted"));
        n.results(3);
        assert!(n.take().results.is_none());
        let a = Note::attached();
        a.args(|| "mmsi 247123456".into());
        a.results(1);
        let got = a.take();
        assert_eq!((got.args.as_str(), got.results), ("mmsi 247123456", Some(1)));
    }
}
