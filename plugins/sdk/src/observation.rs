//! Turns a sandbox exec result into the text a model reads as the observation.
//!
//! The layout follows mini-swe-agent's observations (`<returncode>`, `<output>`, `<warning>`),
//! which models trained on agent trajectories know. Output bytes are decoded lossily here, in
//! the plugin: the boundary itself carries raw bytes. Pure: no host import is called.

use crate::sandbox::ExecResult;

/// The observation text for `result`: warnings (timeout, still running, truncation), the
/// exit code and the output decoded as UTF-8 with invalid bytes replaced.
pub fn observation(result: &ExecResult) -> String {
    let mut text = String::new();
    if result.timed_out {
        text.push_str(&format!(
            "<warning>The command timed out after {} and was interrupted.</warning>\n",
            seconds(result.duration_ms)
        ));
    } else if result.still_running {
        text.push_str(&format!(
            "<warning>The command is still running after {}; it printed nothing new for a while.</warning>\n",
            seconds(result.duration_ms)
        ));
    }
    if result.truncated {
        text.push_str(
            "<warning>The output was too long: its middle was cut, see the marker line.</warning>\n",
        );
    }
    match result.exit_code {
        Some(code) => text.push_str(&format!("<returncode>{code}</returncode>\n")),
        None if result.still_running => {}
        None => text.push_str("<returncode>none (killed by a signal)</returncode>\n"),
    }
    let output = String::from_utf8_lossy(&result.output);
    text.push_str("<output>\n");
    text.push_str(&output);
    if !output.is_empty() && !output.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("</output>");
    text
}

fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(exit_code: Option<i32>, output: &[u8]) -> ExecResult {
        ExecResult {
            exit_code,
            output: output.to_vec(),
            truncated: false,
            timed_out: false,
            still_running: false,
            duration_ms: 12,
        }
    }

    #[test]
    fn plain_result() {
        assert_eq!(
            observation(&result(Some(0), b"hi\n")),
            "<returncode>0</returncode>\n<output>\nhi\n</output>"
        );
        assert_eq!(
            observation(&result(Some(2), b"")),
            "<returncode>2</returncode>\n<output>\n</output>"
        );
        assert!(observation(&result(Some(1), b"no newline")).contains("no newline\n</output>"));
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let text = observation(&result(Some(0), b"a\xffb"));
        assert!(text.contains("a\u{fffd}b"), "{text}");
    }

    #[test]
    fn warnings() {
        let mut r = result(None, b"partial");
        r.timed_out = true;
        r.duration_ms = 120_000;
        let text = observation(&r);
        assert!(
            text.starts_with("<warning>The command timed out after 120 s"),
            "{text}"
        );
        assert!(text.contains("killed by a signal"));

        let mut r = result(None, b"");
        r.still_running = true;
        r.duration_ms = 10_500;
        let text = observation(&r);
        assert!(text.contains("still running after 10.5 s"), "{text}");
        assert!(!text.contains("returncode"));

        let mut r = result(Some(0), b"head\n[... 10 bytes cut ...]\ntail\n");
        r.truncated = true;
        assert!(observation(&r).contains("too long"));
    }
}
