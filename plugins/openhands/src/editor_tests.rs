//! Tests of the editor against the SDK's in-memory host: every rule and message of the
//! original that the scaffold keeps.

use super::*;
use synth_sdk::testing::FakeHost;

const FILE: &str = "/workspace/calc.py";
const CALC: &str = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n";

fn host() -> FakeHost {
    let mut host = FakeHost::new();
    host.file(FILE, CALC);
    host
}

fn args(command: EditorCommand, path: &str) -> EditorArgs {
    EditorArgs {
        command,
        path: path.into(),
        file_text: None,
        old_str: None,
        new_str: None,
        insert_line: None,
        view_range: None,
        security_risk: None,
    }
}

fn run(editor: &mut Editor, host: &mut FakeHost, args: EditorArgs) -> String {
    editor.execute(host, &args).unwrap()
}

fn replace(old: &str, new: &str) -> EditorArgs {
    EditorArgs {
        old_str: Some(old.into()),
        new_str: Some(new.into()),
        ..args(EditorCommand::StrReplace, FILE)
    }
}

fn insert(line: i64, text: &str) -> EditorArgs {
    EditorArgs {
        insert_line: Some(line),
        new_str: Some(text.into()),
        ..args(EditorCommand::Insert, FILE)
    }
}

fn view_range(range: &[i64]) -> EditorArgs {
    EditorArgs {
        view_range: Some(range.to_vec()),
        ..args(EditorCommand::View, FILE)
    }
}

#[test]
fn view_numbers_lines() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    let text = run(&mut editor, &mut host, args(EditorCommand::View, FILE));
    assert_eq!(
        text,
        "Here's the result of running `cat -n` on /workspace/calc.py:\n     1\tdef add(a, b):\n     2\t    return a - b\n     3\t\n     4\t\n     5\tdef sub(a, b):\n     6\t    return a - b\n     7\t\n"
    );
}

#[test]
fn view_ranges() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    assert_eq!(
        run(&mut editor, &mut host, view_range(&[5, 6])),
        "Here's the result of running `cat -n` on /workspace/calc.py:\n     5\tdef sub(a, b):\n     6\t    return a - b\n"
    );
    assert_eq!(
        run(&mut editor, &mut host, view_range(&[6, -1])),
        "Here's the result of running `cat -n` on /workspace/calc.py:\n     6\t    return a - b\n"
    );
    let clamped = run(&mut editor, &mut host, view_range(&[5, 40]));
    assert!(clamped.contains("     6\t    return a - b\n"));
    assert!(
        clamped
            .ends_with("\nNOTE: We only show up to 6 since there're only 6 lines in this file.\n")
    );
    assert_eq!(
        run(&mut editor, &mut host, view_range(&[0, 3])),
        "ERROR:\nInvalid `view_range` parameter: [0, 3]. Its first element `0` should be within the range of lines of the file: [1, 6]."
    );
    assert_eq!(
        run(&mut editor, &mut host, view_range(&[7, -1])),
        "ERROR:\nInvalid `view_range` parameter: [7, -1]. Its first element `7` should be within the range of lines of the file: [1, 6]."
    );
    assert_eq!(
        run(&mut editor, &mut host, view_range(&[4, 2])),
        "ERROR:\nInvalid `view_range` parameter: [4, 2]. Its second element `2` should be greater than or equal to the first element `4`."
    );
    assert_eq!(
        run(&mut editor, &mut host, view_range(&[1])),
        "ERROR:\nInvalid `view_range` parameter: [1]. It should be a list of two integers."
    );
}

#[test]
fn view_directory_two_levels_without_hidden() {
    let mut host = FakeHost::new();
    host.file("/workspace/calc.py", "")
        .file("/workspace/.git/HEAD", "")
        .file("/workspace/.env", "")
        .file("/workspace/pkg/mod.py", "")
        .file("/workspace/pkg/.cache/x", "")
        .file("/workspace/pkg/sub/deep.py", "")
        .file("/workspace/tests/test_calc.py", "");
    let mut editor = Editor::new("/workspace");
    let text = run(
        &mut editor,
        &mut host,
        args(EditorCommand::View, "/workspace/"),
    );
    assert_eq!(
        text,
        "Here's the files and directories up to 2 levels deep in /workspace, excluding hidden items:\n\
         /workspace/\n/workspace/calc.py\n/workspace/pkg/\n/workspace/pkg/mod.py\n/workspace/pkg/sub/\n\
         /workspace/tests/\n/workspace/tests/test_calc.py\n\n\
         2 hidden files/directories in this directory are excluded. You can use 'ls -la /workspace' to see them."
    );
    let mut ranged = args(EditorCommand::View, "/workspace");
    ranged.view_range = Some(vec![1, 2]);
    assert_eq!(
        run(&mut editor, &mut host, ranged),
        "ERROR:\nInvalid `view_range` parameter: [1, 2]. The `view_range` parameter is not allowed when `path` points to a directory."
    );
    assert_eq!(
        run(
            &mut editor,
            &mut host,
            insert(0, "x").with_path("/workspace")
        ),
        "ERROR:\nInvalid `path` parameter: /workspace. The path /workspace is a directory and only the `view` command can be used on directories."
    );
}

#[test]
fn long_files_are_clipped() {
    let mut host = FakeHost::new();
    host.file("/w/big.txt", &"0123456789\n".repeat(3000));
    let text = run(
        &mut Editor::new("/w"),
        &mut host,
        args(EditorCommand::View, "/w/big.txt"),
    );
    assert!(text.ends_with("numbers of what you are looking for.</NOTE>\n"));
    assert!(text.contains("<response clipped><NOTE>Due to the max output limit"));
    assert!(!text.contains("  2000\t"));
}

#[test]
fn paths_must_be_absolute_and_exist() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    assert_eq!(
        run(&mut editor, &mut host, args(EditorCommand::View, "calc.py")),
        "ERROR:\nInvalid `path` parameter: calc.py. The path should be an absolute path, starting with `/`. Maybe you meant /workspace/calc.py?"
    );
    assert_eq!(
        run(&mut editor, &mut host, args(EditorCommand::View, "nope.py")),
        "ERROR:\nInvalid `path` parameter: nope.py. The path should be an absolute path, starting with `/`."
    );
    assert_eq!(
        run(
            &mut editor,
            &mut host,
            replace("a", "b").with_path("/workspace/nope.py")
        ),
        "ERROR:\nInvalid `path` parameter: /workspace/nope.py. The path /workspace/nope.py does not exist. Please provide a valid path."
    );
}

#[test]
fn create_refuses_existing_files() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    let mut create = args(EditorCommand::Create, FILE);
    create.file_text = Some("x".into());
    assert_eq!(
        run(&mut editor, &mut host, create.clone()),
        "ERROR:\nInvalid `path` parameter: /workspace/calc.py. File already exists at: /workspace/calc.py. Cannot overwrite files using command `create`."
    );
    assert_eq!(host.text(FILE), CALC);
    let new = create.with_path("/workspace/new/mod.py");
    assert_eq!(
        run(&mut editor, &mut host, new),
        "File created successfully at: /workspace/new/mod.py"
    );
    assert_eq!(host.text("/workspace/new/mod.py"), "x");
    assert_eq!(
        run(
            &mut editor,
            &mut host,
            args(EditorCommand::Create, "/workspace/b.py")
        ),
        "ERROR:\nParameter `file_text` is required for command: create."
    );
}

#[test]
fn str_replace_needs_exactly_one_match() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    assert_eq!(
        run(
            &mut editor,
            &mut host,
            replace("return a - b", "return a + b")
        ),
        "ERROR:\nNo replacement was performed. Multiple occurrences of old_str `return a - b` in lines [2, 6]. Please ensure it is unique."
    );
    assert_eq!(
        run(&mut editor, &mut host, replace("return a * b", "x")),
        "ERROR:\nNo replacement was performed, old_str `return a * b` did not appear verbatim in /workspace/calc.py."
    );
    assert_eq!(
        run(&mut editor, &mut host, replace("same", "same")),
        "ERROR:\nInvalid `new_str` parameter: same. No replacement was performed. `new_str` and `old_str` must be different."
    );
    let mut no_old = args(EditorCommand::StrReplace, FILE);
    no_old.new_str = Some("x".into());
    assert_eq!(
        run(&mut editor, &mut host, no_old),
        "ERROR:\nParameter `old_str` is required for command: str_replace."
    );
    assert_eq!(host.text(FILE), CALC);
}

#[test]
fn str_replace_edits_and_shows_a_snippet() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    let text = run(
        &mut editor,
        &mut host,
        replace(
            "def add(a, b):\n    return a - b",
            "def add(a, b):\n    return a + b",
        ),
    );
    assert_eq!(host.text(FILE), CALC.replacen("a - b", "a + b", 1));
    assert_eq!(
        text,
        "The file /workspace/calc.py has been edited. Here's the result of running `cat -n` on a snippet of /workspace/calc.py:\n     1\tdef add(a, b):\n     2\t    return a + b\n     3\t\n     4\t\n     5\tdef sub(a, b):\n     6\t    return a - b\n     7\t\nReview the changes and make sure they are as expected. Edit the file again if necessary."
    );
}

#[test]
fn str_replace_retries_with_whitespace_stripped() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    let text = run(
        &mut editor,
        &mut host,
        replace(
            "def sub(a, b):\n    return a - b\n\n\n",
            "  def sub(a, b):\n    return a + b  \n",
        ),
    );
    assert!(
        text.starts_with("The file /workspace/calc.py has been edited."),
        "{text}"
    );
    assert_eq!(
        host.text(FILE),
        "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n"
    );
}

#[test]
fn insert_bounds_and_positions() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    assert_eq!(
        run(&mut editor, &mut host, insert(7, "x")),
        "ERROR:\nInvalid `insert_line` parameter: 7. It should be within the range of allowed values: [0, 6]"
    );
    assert_eq!(
        run(&mut editor, &mut host, insert(-1, "x")),
        "ERROR:\nInvalid `insert_line` parameter: -1. It should be within the range of allowed values: [0, 6]"
    );
    let top = run(&mut editor, &mut host, insert(0, "import math"));
    assert_eq!(host.text(FILE), format!("import math\n{CALC}"));
    assert_eq!(
        top,
        "The file /workspace/calc.py has been edited. Here's the result of running `cat -n` on a snippet of the edited file:\n     1\timport math\n     2\tdef add(a, b):\n     3\t    return a - b\n     4\t\n     5\t\n     6\t\nReview the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary."
    );
    run(&mut editor, &mut host, insert(7, "\nprint(add(1, 2))"));
    assert_eq!(
        host.text(FILE),
        format!("import math\n{CALC}\nprint(add(1, 2))\n")
    );
    let mut no_line = args(EditorCommand::Insert, FILE);
    no_line.new_str = Some("x".into());
    assert_eq!(
        run(&mut editor, &mut host, no_line),
        "ERROR:\nParameter `insert_line` is required for command: insert."
    );
}

#[test]
fn insert_after_a_last_line_without_newline() {
    let mut host = FakeHost::new();
    host.file("/w/a.txt", "one\ntwo");
    run(
        &mut Editor::new("/w"),
        &mut host,
        insert(2, "three").with_path("/w/a.txt"),
    );
    assert_eq!(host.text("/w/a.txt"), "one\ntwo\nthree\n");
}

#[test]
fn undo_restores_versions_in_order() {
    let (mut editor, mut host) = (Editor::new("/workspace"), host());
    assert_eq!(
        run(&mut editor, &mut host, args(EditorCommand::UndoEdit, FILE)),
        "ERROR:\nNo edit history found for /workspace/calc.py."
    );
    run(&mut editor, &mut host, replace("def add", "def plus"));
    let after_first = host.text(FILE);
    run(&mut editor, &mut host, insert(0, "# calc"));
    let undone = run(&mut editor, &mut host, args(EditorCommand::UndoEdit, FILE));
    assert!(
        undone.starts_with(
            "Last edit to /workspace/calc.py undone successfully. Here's the result of running `cat -n` on /workspace/calc.py:\n     1\tdef plus(a, b):"
        ),
        "{undone}"
    );
    assert_eq!(host.text(FILE), after_first);
    run(&mut editor, &mut host, args(EditorCommand::UndoEdit, FILE));
    assert_eq!(host.text(FILE), CALC);
    assert_eq!(
        run(&mut editor, &mut host, args(EditorCommand::UndoEdit, FILE)),
        "ERROR:\nNo edit history found for /workspace/calc.py."
    );
}

#[test]
fn history_keeps_ten_versions() {
    let mut host = FakeHost::new();
    host.file("/w/n.txt", "0");
    let mut editor = Editor::new("/w");
    for i in 0..12 {
        let edit = EditorArgs {
            old_str: Some(i.to_string()),
            new_str: Some((i + 1).to_string()),
            ..args(EditorCommand::StrReplace, "/w/n.txt")
        };
        run(&mut editor, &mut host, edit);
    }
    assert_eq!(host.text("/w/n.txt"), "12");
    for _ in 0..10 {
        run(
            &mut editor,
            &mut host,
            args(EditorCommand::UndoEdit, "/w/n.txt"),
        );
    }
    assert_eq!(host.text("/w/n.txt"), "2");
    assert!(
        run(
            &mut editor,
            &mut host,
            args(EditorCommand::UndoEdit, "/w/n.txt")
        )
        .starts_with("ERROR:\nNo edit history found")
    );
}

#[test]
fn binary_and_non_utf8_files_are_refused() {
    let mut host = FakeHost::new();
    host.files
        .insert("/w/a.bin".into(), b"\x7fELF\x00\x01".to_vec());
    host.files
        .insert("/w/latin1.txt".into(), b"caf\xe9\n".to_vec());
    let mut editor = Editor::new("/w");
    assert_eq!(
        run(
            &mut editor,
            &mut host,
            args(EditorCommand::View, "/w/a.bin")
        ),
        "ERROR:\nFile validation failed for /w/a.bin: File appears to be binary and this file type cannot be read or edited by this tool."
    );
    assert!(
        run(
            &mut editor,
            &mut host,
            replace("caf", "x").with_path("/w/latin1.txt")
        )
        .starts_with("ERROR:\nThe editor only supports UTF-8 encoding files")
    );
}

#[test]
fn broken_sandbox_ends_the_run() {
    struct Broken;
    impl Host for Broken {
        fn complete(
            &mut self,
            _: &[synth_sdk::Message],
            _: &[synth_sdk::ToolSpec],
            _: &synth_sdk::llm::Params,
        ) -> Result<synth_sdk::llm::Completion, synth_sdk::llm::LlmError> {
            unreachable!()
        }
        fn exec(
            &mut self,
            _: &str,
            _: &synth_sdk::sandbox::ExecOptions,
        ) -> Result<synth_sdk::sandbox::ExecResult, SandboxError> {
            unreachable!()
        }
        fn log(&mut self, _: synth_sdk::log::Level, _: &str) {}
        fn note(&mut self, _: &str, _: &str) {}
        fn stat(&mut self, _: &str) -> Result<synth_sdk::sandbox::FileStat, SandboxError> {
            Err(SandboxError::Infrastructure("gone".into()))
        }
    }
    let err = Editor::new("/w")
        .execute(&mut Broken, &args(EditorCommand::View, "/w/a"))
        .unwrap_err();
    assert_eq!(err, RunError::Sandbox("gone".into()));
}

impl EditorArgs {
    fn with_path(self, path: &str) -> EditorArgs {
        EditorArgs {
            path: path.into(),
            ..self
        }
    }
}

#[test]
fn files_over_ten_megabytes_are_refused() {
    let mut host = FakeHost::new();
    host.files.insert(
        "/w/huge.log".into(),
        vec![b'a'; (MAX_FILE_SIZE + 1) as usize],
    );
    assert_eq!(
        run(
            &mut Editor::new("/w"),
            &mut host,
            args(EditorCommand::View, "/w/huge.log")
        ),
        "ERROR:\nFile validation failed for /w/huge.log: File is too large (10.0MB). Maximum allowed size is 10MB."
    );
}
