//! Tests of the viewer against `FakeHost`'s in-memory files.

use super::*;
use synth_sdk::testing::FakeHost;

const PATH: &str = "/workspace/big.py";

fn host_with_lines(n: usize) -> FakeHost {
    let mut host = FakeHost::new();
    let text: String = (1..=n).map(|i| format!("line {i}\n")).collect();
    host.file(PATH, &text)
        .file("/workspace/src/a.py", "x = 1\n");
    host
}

fn viewer() -> Viewer {
    Viewer::new(100, 2)
}

#[test]
fn open_at_the_start_of_a_file() {
    let mut host = host_with_lines(250);
    let mut v = viewer();
    let out = v.open(&mut host, PATH, None).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "[File: /workspace/big.py (250 lines total)]");
    assert_eq!(lines[1], "1:line 1");
    assert_eq!(lines[100], "100:line 100");
    assert_eq!(lines[101], "(150 more lines below)");
    assert_eq!(lines.len(), 102);
    assert!(!out.contains("more lines above"));
    assert_eq!(v.file(), Some(PATH));
}

#[test]
fn open_near_the_end_shows_the_last_window() {
    let mut host = host_with_lines(250);
    let mut v = viewer();
    let out = v.open(&mut host, PATH, Some(240)).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[1], "(150 more lines above)");
    assert_eq!(lines[2], "151:line 151");
    assert_eq!(*lines.last().unwrap(), "250:line 250");
    assert!(!out.contains("more lines below"));
}

#[test]
fn goto_puts_the_line_a_sixth_down() {
    let mut host = host_with_lines(250);
    let mut v = viewer();
    v.open(&mut host, PATH, None).unwrap();
    let out = v.goto(&mut host, 50).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    // 49 - 100/6 = 32.3, truncated to 32: the window starts at line 33.
    assert_eq!(lines[1], "(32 more lines above)");
    assert_eq!(lines[2], "33:line 33");
    assert_eq!(lines[102], "(118 more lines below)");
    assert_eq!(
        v.goto(&mut host, 251).unwrap(),
        "Error: <line> must be less than or equal to 250"
    );
    assert_eq!(
        v.first_line(),
        32,
        "a refused goto does not move the window"
    );
}

#[test]
fn scrolling_keeps_two_lines_of_overlap() {
    let mut host = host_with_lines(250);
    let mut v = viewer();
    v.open(&mut host, PATH, None).unwrap();
    let down = v.scroll(&mut host, true).unwrap();
    assert!(down.contains("(98 more lines above)\n99:line 99\n"));
    assert!(down.ends_with("198:line 198\n(52 more lines below)"));
    let down = v.scroll(&mut host, true).unwrap();
    assert!(
        down.contains("(150 more lines above)\n151:line 151\n"),
        "clamped at the end"
    );
    let up = v.scroll(&mut host, false).unwrap();
    assert!(up.contains("(52 more lines above)\n53:line 53\n"));
    v.scroll(&mut host, false).unwrap();
    let top = v.scroll(&mut host, false).unwrap();
    assert!(top.starts_with("[File: /workspace/big.py (250 lines total)]\n1:line 1\n"));
}

#[test]
fn small_files_and_line_number_warnings() {
    let mut host = host_with_lines(3);
    let mut v = viewer();
    let out = v.open(&mut host, PATH, Some(9)).unwrap();
    assert_eq!(
        out,
        "Warning: <line_number> (9) is greater than the number of lines in the file (3)\n\
         Warning: Setting <line_number> to 3\n\
         [File: /workspace/big.py (3 lines total)]\n1:line 1\n2:line 2\n3:line 3"
    );
    let out = v.open(&mut host, PATH, Some(0)).unwrap();
    assert!(out.starts_with(
        "Warning: <line_number> (0) is less than 1\nWarning: Setting <line_number> to 1\n"
    ));
}

#[test]
fn errors_for_directories_missing_files_and_no_open_file() {
    let mut host = host_with_lines(3);
    let mut v = viewer();
    assert_eq!(v.goto(&mut host, 1).unwrap(), NO_FILE_OPEN);
    assert_eq!(v.scroll(&mut host, true).unwrap(), NO_FILE_OPEN);
    assert_eq!(
        v.open(&mut host, "/workspace/src", None).unwrap(),
        "Error: /workspace/src is a directory. You can only open files. Use cd or ls to navigate directories."
    );
    assert_eq!(
        v.open(&mut host, "/workspace/nope.py", None).unwrap(),
        "Error: File /workspace/nope.py not found"
    );
    assert_eq!(v.file(), None);
}

#[test]
fn create_refuses_existing_files() {
    let mut host = host_with_lines(3);
    let mut v = viewer();
    assert_eq!(
        v.create(&mut host, PATH).unwrap(),
        "Warning: File '/workspace/big.py' already exists."
    );
    assert_eq!(v.file(), None);
    assert_eq!(
        v.create(&mut host, "/workspace/new/t.py").unwrap(),
        "[File: /workspace/new/t.py (0 lines total)]"
    );
    assert_eq!(host.text("/workspace/new/t.py"), "");
    assert_eq!(v.file(), Some("/workspace/new/t.py"));
}

#[test]
fn render_is_exact() {
    assert_eq!(render("/w/e", "", 0, 100), "[File: /w/e (0 lines total)]");
    assert_eq!(
        render("/w/a", "a\nb\nc\nd\n", 1, 2),
        "[File: /w/a (4 lines total)]\n(1 more lines above)\n2:b\n3:c\n(1 more lines below)"
    );
    assert_eq!(
        render("/w/a", "a\nb", 0, 5),
        "[File: /w/a (2 lines total)]\n1:a\n2:b"
    );
}
