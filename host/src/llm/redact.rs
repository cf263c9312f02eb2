//! Key hygiene: the [`Secret`] wrapper (whose `Debug` never shows the value) and the
//! [`Redactor`] that scrubs texts before they are stored, logged or put in an error.
//!
//! It removes anything shaped like a key (`sk-…`, `Bearer <token>`, masked echoes such as
//! `sk-abc***xyz`) and the literal values of the known secrets, including any fragment of 8 or
//! more characters of them and any masked echo of them (a prefix or a suffix of 4 or more
//! characters next to `***`, as OpenAI's `Incorrect API key provided` message shows a key).
//! It must never print, log or return a secret itself.

use std::collections::HashSet;
use std::fmt;

/// Replacement text for a removed secret.
pub const REDACTED: &str = "[REDACTED]";

/// Shortest fragment of a known secret that is removed when it appears in a text.
pub const MIN_FRAGMENT: usize = 8;

/// Shortest prefix or suffix of a known secret that is removed when it stands next to a
/// mask (`***`): providers echo a key as its first and last few characters around stars.
pub const MIN_MASKED_PART: usize = 4;

/// A run of this many `*` marks a masked key.
const MASK: usize = 3;

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
    /// The known secrets of at least `MIN_MASKED_PART` bytes, for masked echoes.
    secrets: Vec<Vec<u8>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Redactor({} secrets, {} windows)",
            self.secrets.len(),
            self.windows.len()
        )
    }
}

impl Redactor {
    /// A redactor that knows `secrets` (secrets shorter than `MIN_FRAGMENT` are only
    /// removed by the pattern rules).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut windows = HashSet::new();
        let mut known = Vec::new();
        for s in secrets {
            for w in s.0.as_bytes().windows(MIN_FRAGMENT) {
                windows.insert(w.to_vec());
            }
            if s.0.len() >= MIN_MASKED_PART {
                known.push(s.0.as_bytes().to_vec());
            }
        }
        Redactor {
            windows,
            secrets: known,
        }
    }

    /// Removes known-secret fragments and key-shaped tokens (`sk-…`, `Bearer …`). Used for
    /// error texts, error bodies and request bodies.
    pub fn redact(&self, text: &str) -> String {
        redact_patterns(&self.redact_secrets(text))
    }

    /// Removes only fragments of the known secrets (≥ `MIN_FRAGMENT` bytes) and their
    /// masked echoes. Used for successful response bodies and request bodies, whose text may
    /// legitimately contain `sk-` examples.
    pub fn redact_secrets(&self, text: &str) -> String {
        if self.secrets.is_empty() || text.len() < MIN_MASKED_PART {
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
        for (start, end) in masked_tokens(bytes) {
            if self.is_masked_secret(&bytes[start..end]) {
                covered[start..end].iter_mut().for_each(|c| *c = true);
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
        replace_ranges(text, &ranges)
    }

    /// True when `token` (key characters around one or more runs of `*`) starts with a
    /// prefix or ends with a suffix of a known secret of at least `MIN_MASKED_PART` bytes.
    fn is_masked_secret(&self, token: &[u8]) -> bool {
        let head_len = token.iter().take_while(|&&b| b != b'*').count();
        let tail_len = token.iter().rev().take_while(|&&b| b != b'*').count();
        let (head, tail) = (&token[..head_len], &token[token.len() - tail_len..]);
        self.secrets.iter().any(|s| {
            // The key may follow other key characters (`xsk-abc***`): any suffix of the
            // head that starts the secret counts, and any prefix of the tail that ends it.
            (MIN_MASKED_PART..=head.len().min(s.len()))
                .any(|k| s.starts_with(&head[head.len() - k..]))
                || (MIN_MASKED_PART..=tail.len().min(s.len())).any(|k| s.ends_with(&tail[..k]))
        })
    }
}

/// `text` with each of the (sorted, disjoint, on character boundaries) byte `ranges`
/// replaced by [`REDACTED`].
fn replace_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for &(start, end) in ranges {
        out.push_str(&text[pos..start]);
        out.push_str(REDACTED);
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Byte ranges of masked tokens: maximal runs of key characters and `*` that hold a run of
/// at least `MASK` stars and at least two key characters. They start and end at ASCII
/// bytes, so on character boundaries.
fn masked_tokens(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_masked_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let end = scan_token(bytes, i, is_masked_byte);
        let token = &bytes[start..end];
        if token.windows(MASK).any(|w| w.iter().all(|&b| b == b'*'))
            && token.iter().filter(|&&b| b != b'*').count() >= 2
        {
            out.push((start, end));
        }
        i = end;
    }
    out
}

/// Removes key-shaped tokens: `sk-` followed by 8 or more key characters, any masked
/// token (key characters around `***`, e.g. `sk-abc***xyz`, `abcd****wxyz`), and the token
/// after `Bearer ` (any case).
pub fn redact_patterns(text: &str) -> String {
    let unmasked = replace_ranges(text, &masked_tokens(text.as_bytes()));
    let text = unmasked.as_str();
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

fn is_masked_byte(b: u8) -> bool {
    is_key_byte(b) || b == b'*'
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
    fn masked_echoes_are_removed() {
        // OpenAI's 401 shows the first and last characters of the key around stars.
        let key = "sk-synthSECRET-0123456789abcdefQzXj";
        let r = Redactor::new([&Secret::new(key)]);
        for echo in [
            "Incorrect API key provided: sk-synt***QzXj.",
            "Incorrect API key provided: sk-synthS**************************QzXj. See docs.",
            "key ***QzXj ends it",
            "key sk-s***** starts it",
            "prefixed xyzsk-synth*** too",
        ] {
            let out = r.redact_secrets(echo);
            assert!(
                !out.contains("QzXj") && !out.contains("sk-s"),
                "{echo} -> {out}"
            );
            assert!(out.contains(REDACTED), "{out}");
            assert!(!r.redact(echo).contains("QzXj"), "{echo}");
        }
        // Stars next to text that is no part of the key stay (model output may use them).
        assert_eq!(r.redact_secrets("a ***bold*** b"), "a ***bold*** b");
        assert_eq!(r.redact_secrets("2**3 = 8"), "2**3 = 8");
        // The generic rule (error texts) removes any masked token, known or not.
        assert_eq!(
            redact_patterns("bad key: sk-abc***xyz. Also AbCd****wXyZ!"),
            "bad key: [REDACTED]. Also [REDACTED]!"
        );
        assert_eq!(
            redact_patterns("Authorization: Bearer abc***xyz"),
            "Authorization: Bearer [REDACTED]"
        );
        assert_eq!(redact_patterns("*** heading ***"), "*** heading ***");
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
