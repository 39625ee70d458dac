//! `lookout decode`: NMEA files to one JSON object per AIS message.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use lookout_ais::decode::{self, DecodeCounters, Decoder, DecoderConfig};
use lookout_ais::{open_recording, LineSplitter};

use super::is_broken_pipe;

/// Decode NMEA files (plain or gzip) to one JSON object per AIS message on stdout.
#[derive(clap::Args)]
pub struct DecodeArgs {
    /// NMEA files, plain or gzip.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

impl DecodeArgs {
    /// Decodes files to JSON Lines on stdout; a summary of counters goes to stderr.
    pub fn run(self) -> anyhow::Result<()> {
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        for path in &self.files {
            let counters = match decode_file(path, &mut out) {
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

/// Decodes one file into `out` (one JSON object per message); returns its counters.
pub fn decode_file(path: &Path, out: &mut impl Write) -> anyhow::Result<DecodeCounters> {
    let mut reader = open_recording(path)?;
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut splitter = LineSplitter::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_ms: i64 = 0;
    let mut json: Vec<u8> = Vec::with_capacity(256 * 1024);
    loop {
        let n = reader.read(&mut buf).with_context(|| format!("read {}", path.display()))?;
        if n == 0 {
            splitter.finish(|line| decoder.feed_line(line, last_ms, &mut |d| push_record(&mut json, &mut last_ms, &d)));
            decoder.expire(i64::MAX);
            out.write_all(&json).context("write stdout")?;
            break;
        }
        splitter.feed(&buf[..n], |line| {
            decoder.feed_line(line, last_ms, &mut |d| push_record(&mut json, &mut last_ms, &d))
        });
        out.write_all(&json).context("write stdout")?;
        json.clear();
    }
    let mut c = decoder.counters().clone();
    c.oversize += splitter.oversize;
    c.lines += splitter.oversize;
    Ok(c)
}

fn push_record(json: &mut Vec<u8>, last_ms: &mut i64, d: &decode::Decoded) {
    *last_ms = d.received_at_ms.unwrap_or(*last_ms);
    // Serialising plain data into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *json, &decode::record(d));
    json.push(b'\n');
}
