//! `lookout decode`: NMEA files to one JSON object per AIS message, in
//! Lookout's own shape or gpsd's (`--format gpsd`, see [`super::gpsd`]).

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use lookout_ais::decode::{self, DecodeCounters, Decoder, DecoderConfig};
use lookout_ais::{open_recording, LineSplitter};

use super::gpsd;
use super::is_broken_pipe;

/// Output shape of `lookout decode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lookout's flat record: msg_type, mmsi, received_at, station, lat, lon,
    /// sog_kn, cog_deg, ...; "not available" fields omitted.
    #[default]
    Lookout,
    /// gpsd's AIS JSON (class "AIS", scaled: true), field names, units and
    /// "not available" codes as gpsd 3.20 prints them, for gpsd clients and
    /// jq scripts. Types 1-5, 9, 11, 18, 19, 21, 24, 27 only: Lookout does not
    /// decode 6, 7, 8, 10, 12-17, 20, 22, 23, 25, 26, so they are not written
    /// (they still count in the summary). Type 24 parts are written as they
    /// come ("part": "A"/"B") and paired when B follows A, as the gpsd daemon does.
    /// Invalid values Lookout's decoder refuses are written as gpsd's "not
    /// available" codes, not raw: out-of-range positions as 91/181, heading
    /// 360-510 as 511, second 61-63 as 60 (all differences: src/cli/gpsd.rs).
    Gpsd,
}

/// Decode NMEA files (plain or gzip) to one JSON object per AIS message on stdout.
#[derive(clap::Args)]
pub struct DecodeArgs {
    /// NMEA files, plain or gzip ("-" reads standard input, plain only).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output shape: Lookout's own record, or gpsd's AIS JSON (`gpsd`).
    #[arg(long, value_enum, default_value_t = Format::Lookout)]
    format: Format,
}

impl DecodeArgs {
    /// Decodes files to JSON Lines on stdout; a summary of counters goes to stderr.
    pub fn run(self) -> anyhow::Result<()> {
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        for path in &self.files {
            let counters = match decode_file(path, self.format, &mut out) {
                Err(e) if is_broken_pipe(&e) => return Ok(()),
                r => r?,
            };
            eprintln!(
                "{}: lines {} ais_sentences {} messages {} bad_checksum {} malformed {} not_ais {} fragments_expired {} fragments_orphan {} fragments_duplicate {} oversize {}",
                path.display(),
                counters.lines,
                counters.ais_sentences,
                counters.messages,
                counters.bad_checksum,
                counters.malformed,
                counters.not_ais,
                counters.fragments_expired,
                counters.fragments_orphan,
                counters.fragments_duplicate,
                counters.oversize
            );
        }
        match out.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r.context("write stdout"),
        }
    }
}

/// Decodes one file into `out` (one JSON object per message, in `format`);
/// returns its counters.
pub fn decode_file(path: &Path, format: Format, out: &mut impl Write) -> anyhow::Result<DecodeCounters> {
    let mut reader: Box<dyn Read> =
        if path.as_os_str() == "-" { Box::new(std::io::stdin().lock()) } else { Box::new(open_recording(path)?) };
    // gpsd's `device`: where the sentences came from.
    let device = if path.as_os_str() == "-" { "stdin".to_owned() } else { path.display().to_string() };
    let mut writer = Writer { format, device, gpsd: gpsd::Writer::default() };
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut splitter = LineSplitter::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_ms: i64 = 0;
    let mut json: Vec<u8> = Vec::with_capacity(256 * 1024);
    loop {
        let n = reader.read(&mut buf).with_context(|| format!("read {}", path.display()))?;
        if n == 0 {
            splitter.finish(|line| decoder.feed_line(line, last_ms, &mut |d| writer.push(&mut json, &mut last_ms, &d)));
            decoder.expire(i64::MAX);
            out.write_all(&json).context("write stdout")?;
            break;
        }
        splitter.feed(&buf[..n], |line| {
            decoder.feed_line(line, last_ms, &mut |d| writer.push(&mut json, &mut last_ms, &d))
        });
        out.write_all(&json).context("write stdout")?;
        json.clear();
    }
    let mut c = decoder.counters().clone();
    c.oversize += splitter.oversize;
    c.lines += splitter.oversize;
    Ok(c)
}

/// Turns decoded messages into JSON lines of one format.
struct Writer {
    format: Format,
    device: String,
    gpsd: gpsd::Writer,
}

impl Writer {
    fn push(&mut self, json: &mut Vec<u8>, last_ms: &mut i64, d: &decode::Decoded) {
        *last_ms = d.received_at_ms.unwrap_or(*last_ms);
        // Serialising plain data into a Vec cannot fail.
        match self.format {
            Format::Lookout => {
                let _ = serde_json::to_writer(&mut *json, &decode::record(d));
            }
            Format::Gpsd => match self.gpsd.object(d, &self.device) {
                Some(o) => {
                    let _ = serde_json::to_writer(&mut *json, &o);
                }
                None => return,
            },
        }
        json.push(b'\n');
    }
}
