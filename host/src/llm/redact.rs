//! Key hygiene: the [`Secret`] wrapper (whose `Debug` never shows the value) and the
//! [`Redactor`] that scrubs texts before they are stored, logged or put in an error.
//!
//! It removes anything shaped like a key (`sk-…`, `Bearer <token>`) and the literal values
//! of the known secrets, including any fragment of 8 or more characters of them. It must
//! never print, log or return a secret itself.

use std::collections::HashSet;
use std::fmt;

/// Replacement text for a removed secret.
pub const REDACTED: &str = "[REDACTED]";

/// Shortest fragment of a known secret that is removed when it appears in a text.
pub const MIN_FRAGMENT: usize = 8;

/// An API key or similar. `Debug` prints `Secret([REDACTED])`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value, for the one place that needs it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

/// Scrubs key-shaped tokens and the fragments of known secrets from texts.
#[derive(Clone, Default)]
pub struct Redactor {
    /// All `MIN_FRAGMENT`-byte windows of every known secret.
    windows: HashSet<Vec<u8>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} windows)", self.windows.len())
    }
}

impl Redactor {
    /// A redactor that knows `secrets` (secrets shorter than `MIN_FRAGMENT` are only
    /// removed by the pattern rules).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut windows = HashSet::new();
        for s in secrets {
            for w in s.0.as_bytes().windows(MIN_FRAGMENT) {
                windows.insert(w.to_vec());
            }
        }
        Redactor { windows }
    }

    /// Removes known-secret fragments and key-shaped tokens (`sk-…`, `Bearer …`). Used for
    /// error texts, error bodies and request bodies.
    pub fn redact(&self, text: &str) -> String {
        redact_patterns(&self.redact_secrets(text))
    }

    /// Removes only fragments of the known secrets (≥ `MIN_FRAGMENT` bytes). Used for
    /// successful response bodies, whose model text may legitimately contain `sk-` examples.
    pub fn redact_secrets(&self, text: &str) -> String {
        if self.windows.is_empty() || text.len() < MIN_FRAGMENT {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut covered = vec![false; bytes.len()];
        let mut any = false;
        for (i, w) in bytes.windows(MIN_FRAGMENT).enumerate() {
            if self.windows.contains(w) {
                covered[i..i + MIN_FRAGMENT]
                    .iter_mut()
                    .for_each(|c| *c = true);
                any = true;
            }
        }
        if !any {
            return text.to_string();
        }
        // Maximal covered runs, widened to whole characters and merged.
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if !covered[i] {
                i += 1;
                continue;
            }
            let mut start = i;
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = i;
            while end < bytes.len() && covered[end] {
                end += 1;
            }
            while end < bytes.len() && !text.is_char_boundary(end) {
                end += 1;
            }
            match ranges.last_mut() {
                Some(last) if start <= last.1 => last.1 = end,
                _ => ranges.push((start, end)),
            }
            i = end;
        }
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (start, end) in ranges {
            out.push_str(&text[pos..start]);
            out.push_str(REDACTED);
            pos = end;
        }
        out.push_str(&text[pos..]);
        out
    }
}

/// Removes key-shaped tokens: `sk-` followed by 8 or more key characters, and the token
/// after `Bearer ` (any case).
pub fn redact_patterns(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"sk-") && (i == 0 || !is_key_byte(bytes[i - 1])) {
            let end = scan_token(bytes, i + 3, is_key_byte);
            if end - (i + 3) >= MIN_FRAGMENT {
                out.push_str(&text[last..i]);
                out.push_str("sk-");
                out.push_str(REDACTED);
                i = end;
                last = end;
                continue;
            }
        }
        if starts_with_ignore_case(&bytes[i..], b"bearer") && (i == 0 || !is_key_byte(bytes[i - 1]))
        {
            let mut j = i + 6;
            let ws_start = j;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            if j > ws_start {
                let end = scan_token(bytes, j, is_bearer_byte);
                if end > j {
                    out.push_str(&text[last..j]);
                    out.push_str(REDACTED);
                    i = end;
                    last = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    out
}

fn scan_token(bytes: &[u8], start: usize, ok: fn(u8) -> bool) -> usize {
    let mut j = start;
    while j < bytes.len() && ok(bytes[j]) {
        j += 1;
    }
    j
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_bearer_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
}

fn starts_with_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-synthTESTkey0123456789abcdef";

    #[test]
    fn debug_hides_secret() {
        let s = Secret::new(KEY);
        assert!(!format!("{s:?}").contains("synth"));
        let r = Redactor::new([&s]);
        assert!(!format!("{r:?}").contains("synth"));
    }

    #[test]
    fn patterns_are_removed() {
        let t = "auth failed for sk-proj-abcdefgh1234 and Authorization: Bearer abc.def-ghi= end";
        let r = redact_patterns(t);
        assert_eq!(
            r,
            "auth failed for sk-[REDACTED] and Authorization: Bearer [REDACTED] end"
        );
        // Short or embedded `sk-` words are left alone.
        assert_eq!(
            redact_patterns("task-sk-12 desk-top"),
            "task-sk-12 desk-top"
        );
        assert_eq!(redact_patterns("bearer"), "bearer");
    }

    #[test]
    fn literal_key_and_fragments_are_removed() {
        let s = Secret::new("zz9plural-Z-alpha-0123456789");
        let r = Redactor::new([&s]);
        let t = "key=zz9plural-Z-alpha-0123456789; half: Z-alpha-0123 ok; short: alpha ok";
        let out = r.redact(t);
        assert!(!out.contains("zz9plural"), "{out}");
        assert!(!out.contains("Z-alpha-0123"), "{out}");
        assert!(out.contains("short: alpha ok"), "{out}");
        assert!(out.starts_with("key=[REDACTED];"), "{out}");
    }

    #[test]
    fn multibyte_text_survives() {
        let s = Secret::new("ééééabcdefgh");
        let r = Redactor::new([&s]);
        let out = r.redact_secrets("x ééééabcdefgh y ünïcode");
        assert_eq!(out, "x [REDACTED] y ünïcode");
        let out = r.redact_secrets("é€abcdefgh€");
        assert!(!out.contains("abcdefgh"));
        assert!(out.ends_with('€'));
    }
}
