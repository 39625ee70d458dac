//! Recordings: NMEA and detection files, plain or gzip, read lazily and
//! merged into one stream by time. Synchronous; the live file source and
//! `lookout replay` both read through [`Recording`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use lookout_core::SourceId;

use crate::lines::{Clock, LineDecoder, LineFormat, LineSettings, Observation, ReadCounters};
use crate::split::LineSplitter;

/// A recording could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Opens a recording, decompressing it if it starts with the gzip magic bytes.
pub fn open_recording(path: &Path) -> Result<Box<dyn Read + Send>, RecordingError> {
    let open = |source| RecordingError::Open { path: path.to_path_buf(), source };
    let mut f = BufReader::new(File::open(path).map_err(open)?);
    let magic = std::io::BufRead::fill_buf(&mut f).map_err(open)?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(MultiGzDecoder::new(f)))
    } else {
        Ok(Box::new(f))
    }
}

/// One recorded file, read lazily, yielding observations in file order (on
/// the recording's own clock).
struct FileStream {
    path: PathBuf,
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    splitter: LineSplitter,
    lines: LineDecoder,
    queue: VecDeque<Observation>,
    eof: bool,
}

impl FileStream {
    fn open(path: &Path, source: SourceId, settings: Arc<LineSettings>) -> Result<Self, RecordingError> {
        let name = path.display().to_string();
        Ok(Self {
            path: path.to_path_buf(),
            reader: open_recording(path)?,
            buf: vec![0u8; 64 * 1024],
            splitter: LineSplitter::default(),
            lines: LineDecoder::new(source, &name, LineFormat::for_path(path), settings, Clock::Recording),
            queue: VecDeque::new(),
            eof: false,
        })
    }

    fn next(&mut self) -> Result<Option<Observation>, RecordingError> {
        let mut out = Vec::new();
        while self.queue.is_empty() && !self.eof {
            let n = match self.reader.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(RecordingError::Read { path: self.path.clone(), source }),
            };
            let (lines, splitter) = (&mut self.lines, &mut self.splitter);
            if n == 0 {
                self.eof = true;
                splitter.finish(|l| lines.line(l, &mut out));
                lines.expire(i64::MAX);
            } else {
                splitter.feed(&self.buf[..n], |l| lines.line(l, &mut out));
            }
            self.queue.extend(out.drain(..));
        }
        Ok(self.queue.pop_front())
    }

    fn counters(&self) -> ReadCounters {
        ReadCounters {
            decode: self.lines.counters().clone(),
            detections: self.lines.detection_counters().clone(),
            oversize_lines: self.splitter.oversize,
        }
    }
}

/// Several recorded files (`.nmea` with AIS and radar sentences, `.jsonl`
/// detection events, plain or gzip) merged into one stream by time. Ties
/// break by file order, then by order within the file, so the merge is the
/// same on every run.
pub struct Recording {
    streams: Vec<FileStream>,
    heads: Vec<Option<Observation>>,
    heap: BinaryHeap<Reverse<(i64, usize, u64)>>,
    seq: u64,
}

impl Recording {
    /// Opens every file (failing early on a missing one). Observations carry `source`.
    pub fn open(paths: &[PathBuf], source: SourceId, settings: Arc<LineSettings>) -> Result<Self, RecordingError> {
        let streams: Vec<FileStream> =
            paths.iter().map(|p| FileStream::open(p, source, settings.clone())).collect::<Result<_, _>>()?;
        let mut r =
            Self { heads: (0..streams.len()).map(|_| None).collect(), streams, heap: BinaryHeap::new(), seq: 0 };
        for i in 0..r.streams.len() {
            r.refill(i)?;
        }
        Ok(r)
    }

    fn refill(&mut self, i: usize) -> Result<(), RecordingError> {
        if let Some(o) = self.streams[i].next()? {
            self.heap.push(Reverse((o.at_ms, i, self.seq)));
            self.seq += 1;
            self.heads[i] = Some(o);
        }
        Ok(())
    }

    /// The next observation in time order, or `None` at the end of every file.
    pub fn next_observation(&mut self) -> Result<Option<Observation>, RecordingError> {
        let Some(Reverse((_, i, _))) = self.heap.pop() else {
            return Ok(None);
        };
        let obs = self.heads[i].take();
        self.refill(i)?;
        Ok(obs)
    }

    /// What the files' readers counted so far.
    pub fn counters(&self) -> ReadCounters {
        let mut c = ReadCounters::default();
        for s in &self.streams {
            c.merge(&s.counters());
        }
        c
    }
}
