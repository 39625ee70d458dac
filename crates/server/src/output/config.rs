//! `[[output]]` tables: where and how often the picture is sent.

use std::net::SocketAddr;
use std::time::Duration;

use lookout_core::geodesy::LatLon;
use lookout_picture::Area;
use serde::Deserialize;

/// How often the whole picture is sent when `interval` is not given.
pub const DEFAULT_OUTPUT_INTERVAL: Duration = Duration::from_secs(10);
/// The shortest `interval`: each batch is the whole picture (1 MB for 20,000
/// vessels), so faster would mostly load the plotters and the link.
pub const MIN_OUTPUT_INTERVAL: Duration = Duration::from_secs(1);
/// The longest `interval`: plotters drop AIS targets not heard from for some
/// minutes (OpenCPN: "lost" after 10 minutes by default).
pub const MAX_OUTPUT_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// How the feed is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Listen on `listen`; every connected client gets the feed.
    TcpServer,
    /// Send datagrams to `target` (unicast or broadcast).
    Udp,
}

/// What the feed is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// NMEA 0183: `!AIVDM` for AIS vessels, `$RATLL` for dark tracks.
    Nmea,
}

/// One `[[output]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    pub kind: OutputKind,
    /// Required, though `nmea` is the only format yet: a file written today
    /// still means the same when others are added.
    pub format: OutputFormat,
    /// `tcp_server`: address to listen on, e.g. `"127.0.0.1:10110"`.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// `udp`: where datagrams go, e.g. `"192.168.1.255:10110"`.
    #[serde(default)]
    pub target: Option<SocketAddr>,
    /// How often the whole picture is sent (humantime, e.g. `"10s"`), within
    /// [`MIN_OUTPUT_INTERVAL`]..=[`MAX_OUTPUT_INTERVAL`].
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    /// Only vessels and tracks inside this polygon, `[[lat, lon], ...]` in
    /// degrees (at least 3 vertices); empty: the whole picture.
    #[serde(default)]
    pub area: Vec<[f64; 2]>,
    /// `tcp_server`: networks clients may connect from, in CIDR notation; empty:
    /// any. The feed has no authentication and shows every dark track, so keep it
    /// on loopback or a watch room's network.
    #[serde(default)]
    pub allow_from: Vec<ipnet::IpNet>,
    /// With `[[operator]]`s configured, an output off loopback must say it means
    /// to show the picture without a token (as an unauthenticated inbound feed must).
    #[serde(default)]
    pub allow_unauthenticated: bool,
}

fn default_interval() -> Duration {
    DEFAULT_OUTPUT_INTERVAL
}

impl OutputConfig {
    /// The `area` as a validated polygon; `None` when not given.
    pub fn area(&self) -> Result<Option<Area>, lookout_core::InvalidField> {
        if self.area.is_empty() {
            return Ok(None);
        }
        let vertices: Vec<LatLon> = self.area.iter().map(|[lat, lon]| LatLon::new(*lat, *lon)).collect();
        Area::polygon(&vertices).map(Some)
    }

    /// Everything wrong with output number `index` (from 1, in file order), each
    /// problem naming its field.
    pub fn problems(&self, index: usize) -> Vec<String> {
        let at = format!("output {index} ({})", self.kind_name());
        let mut out = Vec::new();
        match self.kind {
            OutputKind::TcpServer => {
                if self.listen.is_none() {
                    out.push(format!("{at}: listen is required for kind = \"tcp_server\""));
                }
                if self.target.is_some() {
                    out.push(format!("{at}: target applies to kind = \"udp\" only (a tcp_server has listen)"));
                }
            }
            OutputKind::Udp => {
                if self.target.is_none() {
                    out.push(format!("{at}: target is required for kind = \"udp\""));
                }
                if self.listen.is_some() {
                    out.push(format!("{at}: listen applies to kind = \"tcp_server\" only (udp has target)"));
                }
                if !self.allow_from.is_empty() {
                    out.push(format!("{at}: allow_from applies to kind = \"tcp_server\" only"));
                }
                if self.target.is_some_and(|t| t.port() == 0 || t.ip().is_unspecified()) {
                    out.push(format!("{at}: target needs a host and a port other than 0"));
                }
            }
        }
        if !(MIN_OUTPUT_INTERVAL..=MAX_OUTPUT_INTERVAL).contains(&self.interval) {
            out.push(format!(
                "{at}: interval must be within {}..={}, got {}",
                humantime_serde::re::humantime::format_duration(MIN_OUTPUT_INTERVAL),
                humantime_serde::re::humantime::format_duration(MAX_OUTPUT_INTERVAL),
                humantime_serde::re::humantime::format_duration(self.interval)
            ));
        }
        if let Err(e) = self.area() {
            // The polygon check names its field `area.polygon.vertices`; here it is `area`.
            out.push(format!("{at}: area: {}", e.reason));
        }
        out
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            OutputKind::TcpServer => "tcp_server",
            OutputKind::Udp => "udp",
        }
    }
}

/// Every problem of every `[[output]]`, and listen addresses used twice.
pub fn problems(outputs: &[OutputConfig]) -> Vec<String> {
    let mut out: Vec<String> = outputs.iter().enumerate().flat_map(|(i, o)| o.problems(i + 1)).collect();
    let mut seen = std::collections::BTreeSet::new();
    for (i, o) in outputs.iter().enumerate() {
        if let Some(l) = o.listen.filter(|l| l.port() != 0) {
            if !seen.insert(l) {
                out.push(format!("output {} (tcp_server): listen {l} is used by an earlier output", i + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Vec<OutputConfig> {
        #[derive(Deserialize)]
        struct File {
            output: Vec<OutputConfig>,
        }
        toml::from_str::<File>(toml_text).unwrap().output
    }

    #[test]
    fn a_tcp_server_and_a_udp_output_parse_with_defaults() {
        let o = parse(
            r#"
            [[output]]
            kind = "tcp_server"
            format = "nmea"
            listen = "127.0.0.1:10110"
            [[output]]
            kind = "udp"
            format = "nmea"
            target = "192.168.1.255:10110"
            interval = "30s"
            area = [[35.0, 11.0], [35.0, 13.0], [37.0, 13.0], [37.0, 11.0]]
            "#,
        );
        assert!(problems(&o).is_empty(), "{:?}", problems(&o));
        assert_eq!(o[0].interval, DEFAULT_OUTPUT_INTERVAL);
        assert_eq!(o[0].listen, Some("127.0.0.1:10110".parse().unwrap()));
        assert!(o[0].area().unwrap().is_none());
        assert_eq!(o[1].kind, OutputKind::Udp);
        assert_eq!(o[1].interval, Duration::from_secs(30));
        let area = o[1].area().unwrap().unwrap();
        assert!(area.contains(LatLon::new(36.0, 12.0)) && !area.contains(LatLon::new(38.0, 12.0)));
    }

    #[test]
    fn every_problem_is_named() {
        let o = parse(
            r#"
            [[output]]
            kind = "tcp_server"
            format = "nmea"
            target = "127.0.0.1:1"
            interval = "100ms"
            area = [[35.0, 11.0], [35.0, 13.0]]
            [[output]]
            kind = "udp"
            format = "nmea"
            listen = "127.0.0.1:10110"
            interval = "1h"
            allow_from = ["10.0.0.0/8"]
            "#,
        );
        let p = problems(&o);
        let expect = [
            "output 1 (tcp_server): listen is required",
            "output 1 (tcp_server): target applies to kind = \"udp\" only",
            "output 1 (tcp_server): interval must be within 1s..=5m, got 100ms",
            "output 1 (tcp_server): area: needs at least 3 distinct vertices",
            "output 2 (udp): target is required",
            "output 2 (udp): listen applies to kind = \"tcp_server\" only",
            "output 2 (udp): allow_from applies",
            "output 2 (udp): interval must be within 1s..=5m, got 1h",
        ];
        for e in expect {
            assert!(p.iter().any(|m| m.starts_with(e)), "missing {e:?} in {p:#?}");
        }
        assert_eq!(p.len(), expect.len(), "{p:#?}");
    }

    #[test]
    fn a_listen_address_used_twice_and_a_bad_target_are_refused() {
        let o = parse(
            r#"
            [[output]]
            kind = "tcp_server"
            format = "nmea"
            listen = "127.0.0.1:10110"
            [[output]]
            kind = "tcp_server"
            format = "nmea"
            listen = "127.0.0.1:10110"
            [[output]]
            kind = "udp"
            format = "nmea"
            target = "0.0.0.0:10110"
            "#,
        );
        assert_eq!(
            problems(&o),
            [
                "output 3 (udp): target needs a host and a port other than 0",
                "output 2 (tcp_server): listen 127.0.0.1:10110 is used by an earlier output",
            ]
        );
    }

    #[test]
    fn unknown_formats_kinds_and_keys_are_errors() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct File {
            output: Vec<OutputConfig>,
        }
        for (bad, says) in [
            ("kind = \"tcp_server\"\nformat = \"json\"\nlisten = \"127.0.0.1:1\"", "unknown variant `json`"),
            ("kind = \"tcp_client\"\nformat = \"nmea\"", "unknown variant `tcp_client`"),
            ("kind = \"udp\"\ntarget = \"127.0.0.1:1\"", "missing field `format`"),
            (
                "kind = \"udp\"\nformat = \"nmea\"\ntarget = \"127.0.0.1:1\"\nintervall = \"5s\"",
                "unknown field `intervall`",
            ),
        ] {
            let e = toml::from_str::<File>(&format!("[[output]]\n{bad}")).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
