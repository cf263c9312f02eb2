//! Task images: a generated Dockerfile (`FROM` a local base image, the agent user, the
//! workspace holding the template's environment folder, the setup commands, a baseline git
//! commit, and a copy of the workspace and the agent's home under the stash folder for the
//! tmpfs copies at container start) built from a tar context holding ONLY that folder and the Dockerfile. The tag is a
//! hash of every input, so an unchanged template reuses its image. It must never pull from a
//! registry and never put anything but the environment folder into the build context.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::commands::check_env_name;
use super::container::check_workspace;
use super::engine::Engine;
use super::workspace::STASH_DIR;
use super::{AGENT_USER, ImageRef, ImageSpec, SandboxError, is_not_found};

/// Where the baseline commit of the workspace is recorded in every task image.
pub const BASELINE_FILE: &str = "/etc/synth-baseline";
/// Log lines of a failed build kept for the error.
const LOG_TAIL: usize = 30;

/// Builds started by this process, per tag (tests check that a tag is built once).
static BUILDS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// How many times this process started a build of `tag`.
pub fn builds_of(tag: &str) -> usize {
    BUILDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|t| *t == tag)
        .count()
}

/// One file of the build context.
#[derive(Debug)]
enum ContextItem {
    Dir {
        path: String,
        mode: u32,
    },
    File {
        path: String,
        mode: u32,
        data: Vec<u8>,
    },
    Symlink {
        path: String,
        target: String,
    },
}

/// Every file, folder and symlink under `dir`, paths relative to it with `/`, sorted.
fn collect_context(dir: &Path) -> Result<Vec<ContextItem>, SandboxError> {
    let io = |p: &Path, e: std::io::Error| {
        SandboxError::Infrastructure(format!("reading build context {}: {e}", p.display()))
    };
    let mut items = Vec::new();
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(items),
        Err(e) => return Err(io(dir, e)),
        Ok(m) if !m.is_dir() => {
            return Err(SandboxError::InvalidArgument(format!(
                "build context {} is not a folder",
                dir.display()
            )));
        }
        Ok(_) => {}
    }
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&abs)
            .map_err(|e| io(&abs, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| io(&abs, e))?;
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let name = entry.file_name().into_string().map_err(|n| {
                SandboxError::InvalidArgument(format!(
                    "build context file name is not UTF-8: {}",
                    n.to_string_lossy()
                ))
            })?;
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let p = entry.path();
            let meta = std::fs::symlink_metadata(&p).map_err(|e| io(&p, e))?;
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).map_err(|e| io(&p, e))?;
                items.push(ContextItem::Symlink {
                    path,
                    target: target.to_string_lossy().into_owned(),
                });
            } else if meta.is_dir() {
                items.push(ContextItem::Dir {
                    path: path.clone(),
                    mode,
                });
                subdirs.push((p, path));
            } else if meta.is_file() {
                let data = std::fs::read(&p).map_err(|e| io(&p, e))?;
                items.push(ContextItem::File { path, mode, data });
            } else {
                tracing::warn!(file = %p.display(), "special file left out of the build context");
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(items)
}

/// Dockerfile `ENV` value in double quotes (no variable expansion).
fn env_value(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        if matches!(c, '"' | '\\' | '$') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

fn run_json(argv: &[&str]) -> String {
    // Exec form: no shell parses the Dockerfile line itself.
    format!("RUN {}", serde_json::Value::from(argv.to_vec()))
}

/// The generated Dockerfile.
pub(crate) fn dockerfile(spec: &ImageSpec) -> Result<String, SandboxError> {
    let base = spec.base_image.trim();
    if base.is_empty() || base.chars().any(char::is_whitespace) {
        return Err(SandboxError::InvalidArgument(format!(
            "bad base image name {:?}",
            spec.base_image
        )));
    }
    check_workspace(&spec.workspace)?;
    let ws = spec.workspace.trim_end_matches('/');
    let u = AGENT_USER;
    let mut d = String::new();
    d.push_str("# synth task image (generated: the tag hashes this text, the base image id and the context)\n");
    d.push_str(&format!("FROM {base}\n"));
    // The variables (an instance's parameters) go where the first step that needs them
    // is: before the setup commands, or last when there are none, so that the instances of
    // one template share every build step before them through the build cache.
    let mut env_lines = String::new();
    for (k, v) in &spec.env {
        check_env_name(k)?;
        if v.contains(['\n', '\r', '\0']) {
            return Err(SandboxError::InvalidArgument(format!(
                "image variable {k} has a line break or NUL"
            )));
        }
        env_lines.push_str(&format!("ENV {k}={}\n", env_value(v)));
    }
    let user = format!(
        "id -u {u} >/dev/null 2>&1 || if getent passwd 1000 >/dev/null; \
         then useradd -m -s /bin/bash {u}; else useradd -m -u 1000 -s /bin/bash {u}; fi"
    );
    d.push_str(&run_json(&["/bin/sh", "-c", &user]));
    d.push('\n');
    let git = "git config --system --add safe.directory '*' \
               && git config --system user.name synth \
               && git config --system user.email synth@localhost \
               && git config --system init.defaultBranch main \
               && git config --system commit.gpgsign false";
    d.push_str(&run_json(&["/bin/sh", "-c", git]));
    d.push('\n');
    d.push_str(&format!("WORKDIR {ws}\n"));
    d.push_str(&format!("COPY --chown={u}:{u} context/ {ws}/\n"));
    if !spec.setup.is_empty() {
        d.push_str(&std::mem::take(&mut env_lines));
    }
    for cmd in &spec.setup {
        d.push_str(&run_json(&["bash", "-lc", cmd]));
        d.push('\n');
    }
    d.push_str(&run_json(&[
        "/bin/sh",
        "-c",
        &format!("chown -R {u}:{u} {ws}"),
    ]));
    d.push('\n');
    d.push_str(&format!("USER {u}\n"));
    d.push_str(&run_json(&[
        "/bin/sh",
        "-c",
        "git init -q && git add -A && git commit -q --allow-empty -m 'synth baseline'",
    ]));
    d.push('\n');
    d.push_str("USER root\n");
    d.push_str(&run_json(&[
        "/bin/sh",
        "-c",
        &format!("git -C {ws} rev-parse HEAD > {BASELINE_FILE}"),
    ]));
    d.push('\n');
    // The stash the tmpfs workspace and home are filled from (Docker copies nothing into a
    // tmpfs). Last, so it holds the baseline exactly.
    let stash = format!(
        "mkdir -p {STASH_DIR} && chmod 755 {STASH_DIR} && cp -a {ws} {STASH_DIR}/workspace \
         && h=$(getent passwd {u} | cut -d: -f6) \
         && if [ -n \"$h\" ] && [ \"$h\" != / ] && [ -d \"$h\" ]; then cp -a \"$h\" {STASH_DIR}/home; fi"
    );
    d.push_str(&run_json(&["/bin/sh", "-c", &stash]));
    d.push('\n');
    d.push_str(&env_lines);
    Ok(d)
}

/// The tag for these inputs: `synth-task:<first 16 hex of sha256>`.
fn tag_for(base_id: &str, dockerfile: &str, items: &[ContextItem]) -> String {
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    field(b"synth-image-v1");
    field(base_id.as_bytes());
    field(dockerfile.as_bytes());
    for item in items {
        match item {
            ContextItem::Dir { path, mode } => {
                field(b"dir");
                field(path.as_bytes());
                field(&mode.to_le_bytes());
            }
            ContextItem::File { path, mode, data } => {
                field(b"file");
                field(path.as_bytes());
                field(&mode.to_le_bytes());
                field(data);
            }
            ContextItem::Symlink { path, target } => {
                field(b"symlink");
                field(path.as_bytes());
                field(target.as_bytes());
            }
        }
    }
    let hex = hex::encode(h.finalize());
    format!("synth-task:{}", &hex[..16])
}

/// The build context: `Dockerfile` plus `context/<the environment folder>`.
fn context_tar(dockerfile: &str, items: &[ContextItem]) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let header = |kind: tar::EntryType, mode: u32, size: u64| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h
    };
    let df = dockerfile.as_bytes();
    b.append_data(
        &mut header(tar::EntryType::Regular, 0o644, df.len() as u64),
        "Dockerfile",
        df,
    )?;
    b.append_data(
        &mut header(tar::EntryType::Directory, 0o755, 0),
        "context/",
        std::io::empty(),
    )?;
    for item in items {
        match item {
            ContextItem::Dir { path, mode } => {
                let mut h = header(tar::EntryType::Directory, *mode, 0);
                b.append_data(&mut h, format!("context/{path}/"), std::io::empty())?;
            }
            ContextItem::File { path, mode, data } => {
                let mut h = header(tar::EntryType::Regular, *mode, data.len() as u64);
                b.append_data(&mut h, format!("context/{path}"), data.as_slice())?;
            }
            ContextItem::Symlink { path, target } => {
                let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                b.append_link(&mut h, format!("context/{path}"), target)?;
            }
        }
    }
    b.into_inner()
}

impl Engine {
    /// Builds (or reuses by tag) the image for a template. Returns its tag and id.
    pub async fn ensure_image(&self, spec: &ImageSpec) -> Result<ImageRef, SandboxError> {
        let text = dockerfile(spec)?;
        let base = self.docker.inspect_image(spec.base_image.trim()).await.map_err(|e| {
            if is_not_found(&e) {
                SandboxError::Infrastructure(format!(
                    "base image {} not found: build it with scripts/base-image.sh (no registry is used)",
                    spec.base_image
                ))
            } else {
                SandboxError::docker(format!("inspect base image {}", spec.base_image), e)
            }
        })?;
        let base_id = base.id.unwrap_or_default();
        let dir = spec.context_dir.clone();
        let items = tokio::task::spawn_blocking(move || collect_context(&dir))
            .await
            .map_err(|e| {
                SandboxError::Infrastructure(format!("build context task failed: {e}"))
            })??;
        let tag = tag_for(&base_id, &text, &items);
        let lock = self.build_lock(&tag);
        let _guard = lock.lock().await;
        if let Some(id) = self.image_id_of(&tag).await? {
            return Ok(ImageRef { tag, id });
        }
        BUILDS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tag.clone());
        let archive = context_tar(&text, &items).map_err(|e| {
            SandboxError::Infrastructure(format!("tar of {}: {e}", spec.context_dir.display()))
        })?;
        let labels = HashMap::from([("synth".to_string(), "task".to_string())]);
        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(&tag)
            .rm(true)
            .forcerm(true)
            .labels(&labels)
            .build();
        let mut stream =
            self.docker
                .build_image(options, None, Some(bollard::body_full(archive.into())));
        let mut log: std::collections::VecDeque<String> = Default::default();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    for line in info.stream.iter().flat_map(|s| s.lines()) {
                        if !line.trim().is_empty() {
                            if log.len() == LOG_TAIL {
                                log.pop_front();
                            }
                            log.push_back(line.to_string());
                        }
                    }
                }
                Err(e) => {
                    let tail: Vec<String> = log.into_iter().collect();
                    return Err(SandboxError::Infrastructure(format!(
                        "building image {tag} for {} failed: {} | last build output: {}",
                        spec.context_dir.display(),
                        super::one_line(&e.to_string()),
                        tail.join(" | ")
                    )));
                }
            }
        }
        let id = self.image_id_of(&tag).await?.ok_or_else(|| {
            SandboxError::Infrastructure(format!("image {tag} missing after a successful build"))
        })?;
        tracing::info!(%tag, %id, context = %spec.context_dir.display(), "built task image");
        Ok(ImageRef { tag, id })
    }

    /// The id of an image, None if it does not exist.
    async fn image_id_of(&self, name: &str) -> Result<Option<String>, SandboxError> {
        match self.docker.inspect_image(name).await {
            Ok(img) => Ok(img.id),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(SandboxError::docker(format!("inspect image {name}"), e)),
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn spec() -> ImageSpec {
        ImageSpec {
            base_image: "synth-base:bookworm".into(),
            context_dir: "/nonexistent".into(),
            setup: vec!["echo \"hi\" > x && chmod +x x".into()],
            env: vec![("SYNTH_PARAM_N".into(), "a \"b\" $HOME \\".into())],
            workspace: "/workspace".into(),
        }
    }

    #[test]
    fn without_setup_the_variables_come_last_so_instances_share_the_build() {
        let mut a = spec();
        a.setup.clear();
        let mut b = a.clone();
        b.env = vec![("SYNTH_PARAM_N".into(), "other".into())];
        let (da, db) = (dockerfile(&a).unwrap(), dockerfile(&b).unwrap());
        let common = da
            .lines()
            .zip(db.lines())
            .take_while(|(x, y)| x == y)
            .count();
        assert_eq!(common, da.lines().count() - 1, "{da}\n---\n{db}");
        assert_eq!(db.lines().last(), Some("ENV SYNTH_PARAM_N=\"other\""));
        // With setup, they come before it (the setup may use them).
        let d = dockerfile(&spec()).unwrap();
        assert!(d.find("ENV SYNTH_PARAM_N").unwrap() < d.find("RUN [\"bash\",\"-lc\"").unwrap());
    }

    #[test]
    fn dockerfile_escapes_and_uses_exec_form() {
        let d = dockerfile(&spec()).unwrap();
        assert!(
            d.contains(r#"ENV SYNTH_PARAM_N="a \"b\" \$HOME \\""#),
            "{d}"
        );
        assert!(
            d.contains(r#"RUN ["bash","-lc","echo \"hi\" > x && chmod +x x"]"#),
            "{d}"
        );
        assert!(d.contains("COPY --chown=agent:agent context/ /workspace/"));
        assert!(
            d.trim_end()
                .lines()
                .last()
                .is_some_and(|l| l.contains("cp -a /workspace /var/lib/synth-stash/workspace")),
            "{d}"
        );
        let mut bad = spec();
        bad.env.push(("X".into(), "a\nb".into()));
        assert!(dockerfile(&bad).is_err());
        bad.env = vec![("1X".into(), "v".into())];
        assert!(dockerfile(&bad).is_err());
    }

    #[test]
    fn tag_changes_with_any_input() {
        let d = dockerfile(&spec()).unwrap();
        let items = vec![ContextItem::File {
            path: "a".into(),
            mode: 0o644,
            data: b"1".to_vec(),
        }];
        let t1 = tag_for("sha256:x", &d, &items);
        assert_eq!(t1, tag_for("sha256:x", &d, &items));
        assert!(t1.starts_with("synth-task:") && t1.len() == "synth-task:".len() + 16);
        let items2 = vec![ContextItem::File {
            path: "a".into(),
            mode: 0o755,
            data: b"1".to_vec(),
        }];
        assert_ne!(t1, tag_for("sha256:x", &d, &items2));
        assert_ne!(t1, tag_for("sha256:y", &d, &items));
    }
}
