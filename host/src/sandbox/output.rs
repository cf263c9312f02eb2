//! Bounded output capture: a sink that keeps the head and the tail of a byte stream (never
//! more than its cap in memory) and the scanner that finds the shell's end-of-command marker
//! in a stream of chunks. Neither ever holds an unbounded amount of command output.

use std::collections::VecDeque;

/// Keeps the first half and the last half of `cap` bytes of everything pushed.
#[derive(Debug)]
pub(crate) struct CappedSink {
    cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

impl CappedSink {
    pub fn new(cap: usize) -> Self {
        CappedSink {
            cap,
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    fn head_cap(&self) -> usize {
        self.cap / 2
    }

    fn tail_cap(&self) -> usize {
        self.cap - self.head_cap()
    }

    pub fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        let room = self.head_cap().saturating_sub(self.head.len());
        if room > 0 {
            let n = room.min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        let tail_cap = self.tail_cap();
        if data.len() >= tail_cap {
            self.tail.clear();
            self.tail.extend(&data[data.len() - tail_cap..]);
        } else {
            self.tail.extend(data);
            let excess = self.tail.len().saturating_sub(tail_cap);
            if excess > 0 {
                self.tail.drain(..excess);
            }
        }
    }

    /// Returns what was kept (head, a marker line naming the bytes cut, tail) and whether
    /// anything was cut, and starts over empty.
    pub fn take(&mut self) -> (Vec<u8>, bool) {
        let kept = (self.head.len() + self.tail.len()) as u64;
        let omitted = self.total - kept;
        let mut out = std::mem::take(&mut self.head);
        if omitted > 0 {
            out.extend_from_slice(format!("\n[... {omitted} bytes omitted ...]\n").as_bytes());
        }
        out.extend(self.tail.drain(..));
        self.total = 0;
        (out, omitted > 0)
    }
}

/// What the scanner found in a chunk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// No complete marker yet.
    Pending,
    /// The marker line with this value (the exit code, or the pid for the start marker).
    Marker(i64),
}

/// Finds `\n<token> <value>\n` in a byte stream split into arbitrary chunks. Bytes before
/// the marker go to the sink (minus the one newline the marker line starts with); bytes that
/// might be the start of a marker are held back until the next chunk decides.
#[derive(Debug)]
pub(crate) struct MarkerScanner {
    needle: Vec<u8>,
    carry: Vec<u8>,
    /// `carry[0]` (a newline) was already given to the sink by [`Self::release_newline`].
    delivered_first: bool,
}

impl MarkerScanner {
    /// `token` like `__SYNTH_<hex>__`.
    pub fn new(token: &str) -> Self {
        let mut needle = Vec::with_capacity(token.len() + 2);
        needle.push(b'\n');
        needle.extend_from_slice(token.as_bytes());
        needle.push(b' ');
        MarkerScanner {
            needle,
            carry: Vec::new(),
            delivered_first: false,
        }
    }

    /// Gives `buf[..end]` to the sink, minus a first byte that was delivered already.
    fn emit(&mut self, buf: &[u8], end: usize, sink: &mut CappedSink) {
        if end == 0 {
            return;
        }
        let from = usize::from(self.delivered_first);
        sink.push(&buf[from.min(end)..end]);
        self.delivered_first = false;
    }

    /// Feeds a chunk. Returns the marker once complete; the bytes after it are returned
    /// in `rest` (they belong to whatever comes after the command).
    pub fn feed(&mut self, chunk: &[u8], sink: &mut CappedSink, rest: &mut Vec<u8>) -> Scan {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(pos) = find(&buf[start..], &self.needle).map(|p| p + start) {
            let after = &buf[pos + self.needle.len()..];
            let Some(nl) = after.iter().position(|&b| b == b'\n') else {
                // Marker start seen, its line not complete yet (values are short: bound it).
                if after.len() <= 64 {
                    let carry = buf[pos..].to_vec();
                    if pos > 0 {
                        self.emit(&buf, pos, sink);
                    }
                    self.carry = carry;
                    return Scan::Pending;
                }
                start = pos + 1;
                continue;
            };
            let value = std::str::from_utf8(&after[..nl])
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok());
            match value {
                Some(v) => {
                    rest.extend_from_slice(&after[nl + 1..]);
                    self.emit(&buf, pos, sink);
                    return Scan::Marker(v);
                }
                // Not a marker line after all: keep scanning after it.
                None => start = pos + 1,
            }
        }
        // Hold back the longest suffix that is a prefix of the needle.
        let keep = longest_suffix_prefix(&buf, &self.needle);
        let end = buf.len() - keep;
        let carry = buf[end..].to_vec();
        self.emit(&buf, end, sink);
        self.carry = carry;
        Scan::Pending
    }

    /// Gives a held-back lone newline to the sink now (for a return while the command runs),
    /// remembering it so it is not given twice. A longer partial marker stays held back.
    pub fn release_newline(&mut self, sink: &mut CappedSink) {
        if self.carry == b"\n" && !self.delivered_first {
            sink.push(b"\n");
            self.delivered_first = true;
        }
    }

    /// Bytes held back (a possible marker start), e.g. when the stream ends.
    pub fn flush(&mut self, sink: &mut CappedSink) {
        let carry = std::mem::take(&mut self.carry);
        let end = carry.len();
        self.emit(&carry, end, sink);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)
        {
            None => return None,
            Some(p) => {
                let at = i + p;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
        }
    }
    None
}

fn longest_suffix_prefix(buf: &[u8], needle: &[u8]) -> usize {
    let max = (needle.len() - 1).min(buf.len());
    (1..=max)
        .rev()
        .find(|&k| buf[buf.len() - k..] == needle[..k])
        .unwrap_or(0)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn sink_keeps_everything_under_the_cap() {
        let mut s = CappedSink::new(10);
        s.push(b"abc");
        s.push(b"defgh");
        assert_eq!(s.take(), (b"abcdefgh".to_vec(), false));
        s.push(b"0123456789");
        assert_eq!(s.take(), (b"0123456789".to_vec(), false));
    }

    #[test]
    fn sink_keeps_head_and_tail_with_a_marker() {
        let mut s = CappedSink::new(10);
        for chunk in [&b"01234"[..], b"56789", b"abcdefghij", b"XYZ"] {
            s.push(chunk);
        }
        let (out, cut) = s.take();
        assert!(cut);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "01234\n[... 13 bytes omitted ...]\nijXYZ"
        );
        s.push(&vec![b'a'; 1_000_000]);
        let (out, cut) = s.take();
        assert!(cut && out.len() < 60);
    }

    #[test]
    fn scanner_finds_marker_split_across_chunks() {
        let mut sc = MarkerScanner::new("__SYNTH_x__");
        let mut sink = CappedSink::new(1000);
        let mut rest = Vec::new();
        let stream = b"hello\nworld\n__SYNTH_x__ 42\nafter";
        let mut found = None;
        for b in stream.chunks(3) {
            if let Scan::Marker(v) = sc.feed(b, &mut sink, &mut rest) {
                found = Some(v);
                break;
            }
        }
        assert_eq!(found, Some(42));
        assert_eq!(sink.take().0, b"hello\nworld".to_vec());
    }

    #[test]
    fn scanner_releases_a_trailing_newline_prefix_later() {
        let mut sc = MarkerScanner::new("__SYNTH_x__");
        let mut sink = CappedSink::new(1000);
        let mut rest = Vec::new();
        assert_eq!(sc.feed(b"abc\n", &mut sink, &mut rest), Scan::Pending);
        assert_eq!(sink.take().0, b"abc".to_vec());
        assert_eq!(sc.feed(b"def", &mut sink, &mut rest), Scan::Pending);
        assert_eq!(sink.take().0, b"\ndef".to_vec());
        assert_eq!(
            sc.feed(b"\n__SYNTH_x__ -1\nz", &mut sink, &mut rest),
            Scan::Marker(-1)
        );
        assert_eq!(rest, b"z".to_vec());
    }

    #[test]
    fn a_released_newline_is_not_given_twice() {
        let mut sc = MarkerScanner::new("__SYNTH_x__");
        let mut sink = CappedSink::new(1000);
        let mut rest = Vec::new();
        sc.feed(b"start\n", &mut sink, &mut rest);
        sc.release_newline(&mut sink);
        assert_eq!(sink.take().0, b"start\n".to_vec());
        assert_eq!(sc.feed(b"end\n", &mut sink, &mut rest), Scan::Pending);
        sc.release_newline(&mut sink);
        assert_eq!(sink.take().0, b"end\n".to_vec());
        assert_eq!(
            sc.feed(b"__SYNTH_x__ 0\n", &mut sink, &mut rest),
            Scan::Marker(0)
        );
        assert!(sink.take().0.is_empty());
        let mut sc = MarkerScanner::new("__SYNTH_x__");
        sc.feed(b"a\n", &mut sink, &mut rest);
        sc.release_newline(&mut sink);
        assert_eq!(
            sc.feed(b"b\n__SYNTH_x__ 3\n", &mut sink, &mut rest),
            Scan::Marker(3)
        );
        assert_eq!(sink.take().0, b"a\nb".to_vec());
    }

    #[test]
    fn a_fake_marker_line_is_output() {
        let mut sc = MarkerScanner::new("__SYNTH_x__");
        let mut sink = CappedSink::new(1000);
        let mut rest = Vec::new();
        let r = sc.feed(
            b"x\n__SYNTH_x__ nope\ny\n__SYNTH_x__ 1\n",
            &mut sink,
            &mut rest,
        );
        assert_eq!(r, Scan::Marker(1));
        assert_eq!(sink.take().0, b"x\n__SYNTH_x__ nope\ny".to_vec());
    }
}
