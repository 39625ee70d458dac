//! Multi-sentence reassembly: a small, bounded, time-limited store of
//! incomplete messages. Fragments may interleave (different sequential ids or
//! groups), arrive out of order (2 before 1) or twice.
//!
//! Key: talker, VDM/VDO, fragment count, sequential id (may be empty) and
//! channel (may be empty), plus the tag-block `g:` group id when present. A
//! fragment without a group id matches a pending message with one and vice
//! versa, because some feeds put the tag block only on the first sentence.
//! The source is implicit: one `Decoder` per source.

use super::{DecodeCounters, StationId};

/// Most fragments a message may have (the NMEA fragment count is one digit).
pub(crate) const MAX_FRAGMENTS: usize = 9;

/// One fragment of a multi-sentence message.
pub(crate) struct Fragment<'a> {
    pub key: u64,
    pub group: Option<u32>,
    pub num: u8,
    pub total: u8,
    pub payload: &'a [u8],
    pub fill: u8,
    pub time_ms: Option<i64>,
    pub station: Option<StationId>,
}

/// A message whose fragments are all present; the payload is in the scratch buffer.
pub(crate) struct Assembled {
    pub fill: u8,
    pub time_ms: Option<i64>,
    pub station: Option<StationId>,
}

struct Slot {
    key: u64,
    group: Option<u32>,
    total: u8,
    /// Bit n-1 set when fragment n is present.
    have: u16,
    /// `now_ms` when the first fragment arrived (for expiry).
    since_ms: i64,
    /// (start, len) of each fragment's payload in `buf`.
    parts: [(u32, u32); MAX_FRAGMENTS],
    fill: u8,
    /// Payload characters of all present fragments, in arrival order.
    buf: Vec<u8>,
    time_ms: Option<i64>,
    station: Option<StationId>,
    /// True once fragment 1 supplied the time/station (they then win).
    from_first: bool,
}

impl Slot {
    fn part(&self, num: u8) -> &[u8] {
        let (s, l) = self.parts[num as usize - 1];
        &self.buf[s as usize..(s + l) as usize]
    }

    fn put(&mut self, f: &Fragment<'_>) {
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(f.payload);
        self.parts[f.num as usize - 1] = (start, f.payload.len() as u32);
        self.have |= 1 << (f.num - 1);
        if f.num == f.total {
            self.fill = f.fill;
        }
        // Time and station: fragment 1's win; otherwise the first one seen.
        if f.num == 1 && (f.time_ms.is_some() || f.station.is_some()) && !self.from_first {
            self.from_first = true;
            self.time_ms = f.time_ms.or(self.time_ms);
            self.station = f.station.or(self.station);
        } else {
            self.time_ms = self.time_ms.or(f.time_ms);
            self.station = self.station.or(f.station);
        }
        if self.group.is_none() {
            self.group = f.group;
        }
    }

    fn complete(&self) -> bool {
        self.have == (1u16 << self.total) - 1
    }

    fn count(&self) -> u64 {
        self.have.count_ones() as u64
    }
}

/// Pending incomplete messages of one source.
pub(crate) struct Reassembler {
    slots: Vec<Slot>,
    /// Recycled payload buffers, so steady-state reassembly does not allocate.
    pool: Vec<Vec<u8>>,
    max_pending: usize,
    timeout_ms: i64,
}

impl Reassembler {
    pub(crate) fn new(max_pending: usize, timeout_ms: i64) -> Self {
        Reassembler { slots: Vec::new(), pool: Vec::new(), max_pending: max_pending.max(1), timeout_ms }
    }

    /// Number of incomplete messages held.
    pub(crate) fn pending_messages(&self) -> usize {
        self.slots.len()
    }

    /// Number of fragments held.
    pub(crate) fn pending_fragments(&self) -> u64 {
        self.slots.iter().map(Slot::count).sum()
    }

    fn find(&self, key: u64, group: Option<u32>) -> Option<usize> {
        self.slots.iter().position(|s| {
            s.key == key
                && match (group, s.group) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        })
    }

    fn remove(&mut self, i: usize) {
        let mut s = self.slots.swap_remove(i);
        s.buf.clear();
        self.pool.push(std::mem::take(&mut s.buf));
    }

    /// Account for a dropped slot: without fragment 1 its fragments never had
    /// a start (orphans); otherwise they timed out / were evicted (expired).
    fn drop_counts(s: &Slot, c: &mut DecodeCounters) {
        if s.have & 1 == 0 {
            c.fragments_orphan += s.count();
        } else {
            c.fragments_expired += s.count();
        }
    }

    /// Add a fragment. When it completes a message, the message's payload
    /// characters are written to `scratch` (cleared first) and its metadata returned.
    pub(crate) fn add(
        &mut self,
        f: Fragment<'_>,
        now_ms: i64,
        c: &mut DecodeCounters,
        scratch: &mut Vec<u8>,
    ) -> Option<Assembled> {
        let bit = 1u16 << (f.num - 1);
        let i = match self.find(f.key, f.group) {
            Some(i) => {
                let s = &mut self.slots[i];
                if s.have & bit != 0 {
                    if s.part(f.num) == f.payload {
                        // Exact duplicate (e.g. the same sentence from two receivers).
                        c.fragments_duplicate += 1;
                        return None;
                    }
                    // Same key, different content: the sequential id was reused
                    // by a new message; the old one can no longer complete.
                    Self::drop_counts(s, c);
                    s.have = 0;
                    s.buf.clear();
                    s.since_ms = now_ms;
                    s.time_ms = None;
                    s.station = None;
                    s.from_first = false;
                    s.group = f.group;
                }
                i
            }
            None => {
                if self.slots.len() >= self.max_pending {
                    // Bound memory: evict the oldest pending message.
                    if let Some(old) = (0..self.slots.len()).min_by_key(|&j| self.slots[j].since_ms) {
                        Self::drop_counts(&self.slots[old], c);
                        self.remove(old);
                    }
                }
                self.slots.push(Slot {
                    key: f.key,
                    group: f.group,
                    total: f.total,
                    have: 0,
                    since_ms: now_ms,
                    parts: [(0, 0); MAX_FRAGMENTS],
                    fill: 0,
                    buf: self.pool.pop().unwrap_or_default(),
                    time_ms: None,
                    station: None,
                    from_first: false,
                });
                self.slots.len() - 1
            }
        };
        let s = &mut self.slots[i];
        s.put(&f);
        if !s.complete() {
            return None;
        }
        scratch.clear();
        for n in 1..=s.total {
            scratch.extend_from_slice(s.part(n));
        }
        c.assembled_sentences += s.count();
        let done = Assembled { fill: s.fill, time_ms: s.time_ms, station: s.station };
        self.remove(i);
        Some(done)
    }

    /// Drop messages whose first fragment arrived more than the timeout ago
    /// (or, if the clock went backwards, more than the timeout in the future).
    pub(crate) fn expire(&mut self, now_ms: i64, c: &mut DecodeCounters) {
        let mut i = 0;
        while i < self.slots.len() {
            if now_ms.saturating_sub(self.slots[i].since_ms).saturating_abs() > self.timeout_ms {
                Self::drop_counts(&self.slots[i], c);
                self.remove(i);
            } else {
                i += 1;
            }
        }
    }
}
