//! Splits a byte stream into lines without trusting it: a "line" of 1 MB with
//! no newline is counted and discarded, never buffered whole.

/// Longest line accepted: the decoder's own limit, so a line the splitter
/// passes is one the decoder will look at.
pub use crate::decode::MAX_LINE_BYTES;

/// Incremental line splitter on `\n` (a preceding `\r` is left for the
/// decoder, which ignores it).
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
    discarding: bool,
    /// Lines dropped for exceeding [`MAX_LINE_BYTES`].
    pub oversize: u64,
}

impl LineSplitter {
    /// Feeds a chunk; calls `f` for each complete line.
    pub fn feed(&mut self, mut chunk: &[u8], mut f: impl FnMut(&[u8])) {
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
            let (head, rest) = (&chunk[..nl], &chunk[nl + 1..]);
            if self.discarding {
                self.discarding = false;
            } else if self.partial.is_empty() {
                if head.len() <= MAX_LINE_BYTES {
                    f(head);
                } else {
                    self.oversize += 1;
                }
            } else if self.partial.len() + head.len() <= MAX_LINE_BYTES {
                self.partial.extend_from_slice(head);
                f(&self.partial);
                self.partial.clear();
            } else {
                self.partial.clear();
                self.oversize += 1;
            }
            chunk = rest;
        }
        if self.discarding {
            return;
        }
        if self.partial.len() + chunk.len() > MAX_LINE_BYTES {
            self.partial.clear();
            self.discarding = true;
            self.oversize += 1;
        } else {
            self.partial.extend_from_slice(chunk);
        }
    }

    /// Ends the stream (EOF, end of a datagram): a final unterminated line is delivered.
    pub fn finish(&mut self, mut f: impl FnMut(&[u8])) {
        if !self.discarding && !self.partial.is_empty() {
            f(&self.partial);
        }
        self.partial.clear();
        self.discarding = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> (Vec<String>, u64) {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, |l| out.push(String::from_utf8_lossy(l).into_owned()));
        }
        s.finish(|l| out.push(String::from_utf8_lossy(l).into_owned()));
        (out, s.oversize)
    }

    #[test]
    fn lines_across_chunks() {
        let (l, o) = split(&[b"ab", b"c\nde\n", b"f"]);
        assert_eq!(l, ["abc", "de", "f"]);
        assert_eq!(o, 0);
    }

    #[test]
    fn a_megabyte_without_newline_is_dropped_and_the_next_line_survives() {
        let big = vec![b'x'; 1 << 20];
        let (l, o) = split(&[b"ok1\n", &big[..500_000], &big[500_000..], b"tail\nok2\n"]);
        assert_eq!(l, ["ok1", "ok2"]);
        assert_eq!(o, 1);
        let (l, o) = split(&[&big, b"\nok\n"]);
        assert_eq!((l, o), (vec!["ok".to_string()], 1));
    }
}
