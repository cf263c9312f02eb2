//! File operations for the agent: read, write, list and stat through one-off execs as the
//! agent user, with tar on stdin/stdout (so they keep working when the workspace is a tmpfs
//! and need no `docker cp`). Relative paths resolve against the workspace. Errors the
//! container reports are mapped to typed [`SandboxError`]s; nothing here runs as root.

use std::io::Read;
use std::time::Duration;

use super::raw::{self, ExecSpec, RawOutput};
use super::{
    DirEntry, FileKind, FileStat, READ_FILE_LIMIT, Sandbox, SandboxError, WRITE_FILE_LIMIT,
};

const FILE_OP_TIMEOUT: Duration = Duration::from_secs(120);

/// Exit codes the scripts below use for conditions they detect themselves.
const READ_SCRIPT: &str = r#"p=$1; d=$2; n=$3; limit=$4
if [ ! -e "$p" ]; then
  if [ -e "$d" ] && [ ! -d "$d" ]; then echo "$p: Not a directory" >&2; else echo "$p: No such file or directory" >&2; fi
  exit 2
fi
if [ -d "$p" ]; then echo "$p: Is a directory" >&2; exit 21; fi
if [ ! -r "$p" ]; then echo "$p: Permission denied" >&2; exit 13; fi
size=$(stat -L -c %s -- "$p") || exit 1
if [ "$size" -gt "$limit" ]; then echo "$p: File too large ($size bytes)" >&2; exit 27; fi
exec tar -c -h -f - -C "$d" -- "$n""#;

const WRITE_SCRIPT: &str = r#"p=$1; d=$2
if [ -d "$p" ]; then echo "$p: Is a directory" >&2; exit 21; fi
if [ -e "$d" ] && [ ! -d "$d" ]; then echo "$d: Not a directory" >&2; exit 20; fi
mkdir -p -- "$d" || exit 1
tar -x -O -f - > "$p""#;

const LIST_SCRIPT: &str = r#"p=$1
if [ ! -e "$p" ]; then echo "$p: No such file or directory" >&2; exit 2; fi
if [ ! -d "$p" ]; then echo "$p: Not a directory" >&2; exit 20; fi
exec find -H "$p" -mindepth 1 -maxdepth 1 -printf '%y %s %f\0'"#;

/// `path` made absolute (relative to `workspace`) and normalised lexically, split into
/// (absolute path, parent folder, last component).
pub(crate) fn resolve(
    workspace: &str,
    path: &str,
) -> Result<(String, String, String), SandboxError> {
    if path.contains('\0') {
        return Err(SandboxError::InvalidArgument(
            "path contains a NUL byte".into(),
        ));
    }
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{workspace}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let abs = format!("/{}", parts.join("/"));
    let (parent, name) = match parts.split_last() {
        Some((name, rest)) => (format!("/{}", rest.join("/")), name.to_string()),
        None => ("/".to_string(), String::new()),
    };
    Ok((abs, parent, name))
}

/// Maps a failed file command to a typed error from its stderr.
pub(crate) fn map_error(path: &str, out: &RawOutput) -> SandboxError {
    let text = out.stderr_text();
    let msg = format!("{path}: {text}");
    let has = |s: &str| text.contains(s);
    if has("No such file or directory") {
        SandboxError::NotFound(path.to_string())
    } else if has("Not a directory") {
        SandboxError::NotADirectory(path.to_string())
    } else if has("Is a directory") {
        SandboxError::IsADirectory(path.to_string())
    } else if has("Permission denied")
        || has("Operation not permitted")
        || has("Read-only file system")
    {
        SandboxError::PermissionDenied(msg)
    } else if has("File too large") || has("No space left") || has("Disk quota") {
        SandboxError::TooLarge(msg)
    } else {
        SandboxError::Infrastructure(format!("{msg} (exit {:?})", out.exit_code))
    }
}

pub(crate) fn kind_from_mode(mode: u32) -> FileKind {
    match mode & 0o170000 {
        0o100000 => FileKind::File,
        0o040000 => FileKind::Directory,
        0o120000 => FileKind::Symlink,
        _ => FileKind::Other,
    }
}

fn kind_from_find(c: &str) -> FileKind {
    match c {
        "f" => FileKind::File,
        "d" => FileKind::Directory,
        "l" => FileKind::Symlink,
        _ => FileKind::Other,
    }
}

/// Parses `find -printf '%y %s %f\0'` output, sorted by name.
pub(crate) fn parse_listing(raw: &[u8]) -> Vec<DirEntry> {
    let mut entries: Vec<DirEntry> = raw
        .split(|&b| b == 0)
        .filter(|r| !r.is_empty())
        .filter_map(|rec| {
            let text = String::from_utf8_lossy(rec);
            let mut it = text.splitn(3, ' ');
            let kind = kind_from_find(it.next()?);
            let size = it.next()?.parse().ok()?;
            let name = it.next()?.to_string();
            Some(DirEntry { name, kind, size })
        })
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

/// Parses `stat -c '%f %s %Y'` output.
pub(crate) fn parse_stat(raw: &[u8]) -> Option<FileStat> {
    let text = String::from_utf8_lossy(raw);
    let mut it = text.split_whitespace();
    let mode = u32::from_str_radix(it.next()?, 16).ok()?;
    let size = it.next()?.parse().ok()?;
    let modified = it.next()?.parse().ok()?;
    Some(FileStat {
        kind: kind_from_mode(mode),
        size,
        mode: mode & 0o7777,
        modified,
    })
}

impl Sandbox {
    async fn file_exec(
        &self,
        argv: Vec<String>,
        stdin: Option<&[u8]>,
        stdout_limit: usize,
    ) -> Result<RawOutput, SandboxError> {
        raw::run(
            &self.docker,
            &self.id,
            ExecSpec {
                argv,
                user: &self.user,
                env: None,
                cwd: Some(&self.workspace),
                stdin: stdin.is_some(),
            },
            stdin,
            stdout_limit,
            FILE_OP_TIMEOUT,
        )
        .await
    }

    fn script(script: &str, args: &[&str]) -> Vec<String> {
        let mut argv = vec![
            "/bin/sh".to_string(),
            "-c".into(),
            script.into(),
            "synth".into(),
        ];
        argv.extend(args.iter().map(|s| s.to_string()));
        argv
    }

    /// Reads a whole file (at most [`READ_FILE_LIMIT`] bytes), following symlinks.
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>, SandboxError> {
        let (abs, parent, name) = resolve(&self.workspace, path)?;
        if name.is_empty() {
            return Err(SandboxError::IsADirectory(abs));
        }
        let limit = READ_FILE_LIMIT.to_string();
        let argv = Self::script(READ_SCRIPT, &[&abs, &parent, &name, &limit]);
        // The archive is the file plus headers and padding.
        let out = self
            .file_exec(argv, None, READ_FILE_LIMIT as usize + 64 * 1024)
            .await?;
        if out.exit_code != Some(0) {
            return Err(map_error(&abs, &out));
        }
        if out.stdout_overflow {
            return Err(SandboxError::TooLarge(format!(
                "{abs}: more than {READ_FILE_LIMIT} bytes"
            )));
        }
        let mut archive = tar::Archive::new(out.stdout.as_slice());
        let bad = |e: std::io::Error| {
            SandboxError::Infrastructure(format!(
                "{abs}: unreadable tar from container {}: {e}",
                self.name
            ))
        };
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            if entry.header().entry_type().is_file() {
                let mut data = Vec::with_capacity(entry.size() as usize);
                entry.read_to_end(&mut data).map_err(bad)?;
                return Ok(data);
            }
        }
        Err(SandboxError::InvalidArgument(format!(
            "{abs}: not a regular file"
        )))
    }

    /// Writes a whole file as the agent, creating parent folders; replaces an existing file
    /// in place (its mode stays; a symlink is written through).
    pub async fn write_file(&self, path: &str, content: &[u8]) -> Result<(), SandboxError> {
        let (abs, parent, name) = resolve(&self.workspace, path)?;
        if name.is_empty() {
            return Err(SandboxError::IsADirectory(abs));
        }
        if content.len() > WRITE_FILE_LIMIT {
            return Err(SandboxError::TooLarge(format!(
                "{abs}: {} bytes, the limit is {WRITE_FILE_LIMIT}",
                content.len()
            )));
        }
        let mut builder = tar::Builder::new(Vec::with_capacity(content.len() + 2048));
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mtime(0);
        builder
            .append_data(&mut header, "file", content)
            .and_then(|()| builder.finish())
            .map_err(|e| SandboxError::Infrastructure(format!("{abs}: building tar: {e}")))?;
        let archive = builder
            .into_inner()
            .map_err(|e| SandboxError::Infrastructure(format!("{abs}: building tar: {e}")))?;
        let argv = Self::script(WRITE_SCRIPT, &[&abs, &parent]);
        let out = self.file_exec(argv, Some(&archive), 64 * 1024).await?;
        if out.exit_code != Some(0) {
            return Err(map_error(&abs, &out));
        }
        Ok(())
    }

    /// Entries of a folder (not `.`/`..`), sorted by name; symlinks are not followed.
    pub async fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, SandboxError> {
        let (abs, _, _) = resolve(&self.workspace, path)?;
        let argv = Self::script(LIST_SCRIPT, &[&abs]);
        let out = self.file_exec(argv, None, 64 * 1024 * 1024).await?;
        if out.exit_code != Some(0) {
            return Err(map_error(&abs, &out));
        }
        if out.stdout_overflow {
            return Err(SandboxError::TooLarge(format!(
                "{abs}: listing over 64 MiB"
            )));
        }
        Ok(parse_listing(&out.stdout))
    }

    /// Kind, size, permission bits and modification time; a symlink is reported as such.
    pub async fn stat(&self, path: &str) -> Result<FileStat, SandboxError> {
        let (abs, _, _) = resolve(&self.workspace, path)?;
        let argv = vec![
            "stat".to_string(),
            "-c".into(),
            "%f %s %Y".into(),
            "--".into(),
            abs.clone(),
        ];
        let out = self.file_exec(argv, None, 4096).await?;
        if out.exit_code != Some(0) {
            return Err(map_error(&abs, &out));
        }
        parse_stat(&out.stdout).ok_or_else(|| {
            SandboxError::Infrastructure(format!(
                "{abs}: unexpected stat output {:?}",
                String::from_utf8_lossy(&out.stdout)
            ))
        })
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn paths_resolve_against_the_workspace() {
        let r = |p| resolve("/workspace", p).unwrap();
        assert_eq!(
            r("a/b.txt"),
            (
                "/workspace/a/b.txt".into(),
                "/workspace/a".into(),
                "b.txt".into()
            )
        );
        assert_eq!(
            r("/etc//x/../passwd"),
            ("/etc/passwd".into(), "/etc".into(), "passwd".into())
        );
        assert_eq!(
            r("."),
            ("/workspace".into(), "/".into(), "workspace".into())
        );
        assert_eq!(r("/"), ("/".into(), "/".into(), String::new()));
        assert!(resolve("/w", "a\0b").is_err());
    }

    #[test]
    fn listing_and_stat_parse() {
        let l = parse_listing(b"f 3 b.txt\0d 4096 a dir\0l 7 link\0");
        assert_eq!(l[0].name, "a dir");
        assert_eq!(l[0].kind, FileKind::Directory);
        assert_eq!(l[1].size, 3);
        assert_eq!(l[2].kind, FileKind::Symlink);
        let s = parse_stat(b"81a4 12 1700000000\n").unwrap();
        assert_eq!(
            (s.kind, s.size, s.mode, s.modified),
            (FileKind::File, 12, 0o644, 1_700_000_000)
        );
    }
}
