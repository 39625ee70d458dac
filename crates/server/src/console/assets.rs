//! The console's static files, embedded at compile time from `console/dist`.
//!
//! The build (`npm run build` in `console/`) writes fixed file names, listed
//! here once; a test checks this list against `console/dist`. A handful of
//! files needs no embedding crate: `include_bytes!` and a table. Each file is
//! gzipped once, on first request, and served with an ETag (`Cache-Control:
//! no-cache`: the browser revalidates, so a new binary's page is picked up at
//! once and an unchanged one costs a 304).

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use sha2::{Digest, Sha256};

/// (path in `console/dist`, content type, bytes).
pub(crate) const FILES: &[(&str, &str, &[u8])] = &[
    ("index.html", "text/html; charset=utf-8", include_bytes!("../../../../console/dist/index.html")),
    (
        "assets/console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../console/dist/assets/console.js"),
    ),
    ("assets/console.css", "text/css; charset=utf-8", include_bytes!("../../../../console/dist/assets/console.css")),
    ("assets/land-50m.json", "application/json", super::LAND_50M_TOPOJSON),
];

/// Everything the page loads comes from this origin; the policy says so to
/// the browser too (map tiles, fonts or scripts from elsewhere are refused).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
                   base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

struct Prepared {
    path: &'static str,
    content_type: &'static str,
    etag: HeaderValue,
    plain: &'static [u8],
    gzip: Vec<u8>,
}

fn prepared() -> &'static [Prepared] {
    static ALL: OnceLock<Vec<Prepared>> = OnceLock::new();
    ALL.get_or_init(|| {
        FILES
            .iter()
            .map(|&(path, content_type, plain)| {
                let digest = Sha256::digest(plain);
                let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                // Writing into a Vec cannot fail.
                let _ = std::io::Write::write_all(&mut gz, plain);
                let gzip = gz.finish().unwrap_or_default();
                Prepared {
                    path,
                    content_type,
                    etag: HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a valid header"),
                    plain,
                    gzip,
                }
            })
            .collect()
    })
}

/// Whether `Accept-Encoding` allows gzip (listed, and not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let values = headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok());
    values.flat_map(|v| v.split(',')).any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let named = parts.next().is_some_and(|n| n.eq_ignore_ascii_case("gzip"));
        let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
        named && !refused
    })
}

fn status(code: StatusCode) -> Response {
    let mut r = Response::new(Body::from(code.canonical_reason().unwrap_or("").to_string()));
    *r.status_mut() = code;
    r
}

/// Serves `GET`/`HEAD` of a static file; anything else that is not a gRPC
/// route ends here too (404, or 405 for other methods).
pub(super) async fn handler(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let path = match uri.path().trim_start_matches('/') {
        "" => "index.html",
        p => p,
    };
    let Some(file) = prepared().iter().find(|f| f.path == path) else {
        return status(StatusCode::NOT_FOUND);
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == file.etag.to_str().unwrap_or("")));
    let gzip = accepts_gzip(&headers) && file.gzip.len() < file.plain.len();
    let mut r = if not_modified {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let bytes: &[u8] = if gzip { &file.gzip } else { file.plain };
        let len = bytes.len();
        let mut r = Response::new(if method == Method::HEAD { Body::empty() } else { Body::from(bytes.to_vec()) });
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
        if gzip {
            r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    };
    let h = r.headers_mut();
    h.insert(header::ETAG, file.etag.clone());
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded list is exactly what `npm run build` writes.
    #[test]
    fn embedded_files_are_the_built_bundle() {
        let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../console/dist");
        let mut built = Vec::new();
        let mut stack = vec![dist.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    built.push(p.strip_prefix(&dist).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        built.sort();
        let mut listed: Vec<String> = FILES.iter().map(|f| f.0.to_string()).collect();
        listed.sort();
        assert_eq!(built, listed, "console/dist and src/console/assets.rs FILES disagree");
        for (path, _, bytes) in FILES {
            assert!(!bytes.is_empty(), "{path} is empty");
        }
    }

    #[test]
    fn gzip_negotiation() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip, deflate, br"));
        assert!(accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br, gzip;q=0"));
        assert!(!accepts_gzip(&h));
    }
}
