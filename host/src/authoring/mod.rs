//! `synth plugin new NAME`: writes a ready-to-build scaffold crate for third parties.
//!
//! The crate is self-contained: the guest SDK's sources and the WIT contract are embedded in
//! this binary at compile time and written into `vendor/synth-sdk` and `wit/`, so the crate
//! builds anywhere with `cargo build --target wasm32-wasip2 --release` (crates.io only), in
//! or outside a synth checkout (its own `[workspace]` table keeps it out of any parent
//! workspace). Owns the file list and the templates; must never overwrite an existing path.

use std::path::{Path, PathBuf};

/// `(name, content)` of a file of the SDK's `src/`, embedded at compile time.
macro_rules! sdk_file {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../plugins/sdk/src/", $name)),
        )
    };
}

/// `(name, content)` of a file of the contract's folder, embedded at compile time.
macro_rules! wit_file {
    ($name:literal) => {
        ($name, include_str!(concat!("../../../wit/v0.1.0/", $name)))
    };
}

/// The SDK's source files, as compiled into this binary.
const SDK_FILES: &[(&str, &str)] = &[
    sdk_file!("calls.rs"),
    sdk_file!("config.rs"),
    sdk_file!("error.rs"),
    sdk_file!("history.rs"),
    sdk_file!("host.rs"),
    sdk_file!("lib.rs"),
    sdk_file!("log.rs"),
    sdk_file!("message.rs"),
    sdk_file!("observation.rs"),
    sdk_file!("schema.rs"),
    sdk_file!("testing.rs"),
    sdk_file!("tool.rs"),
];

/// The contract the SDK binds (the folder name under `wit/`).
pub const CONTRACT_DIR: &str = "v0.1.0";

const WIT_FILES: &[(&str, &str)] = &[
    wit_file!("llm.wit"),
    wit_file!("log.wit"),
    wit_file!("sandbox.wit"),
    wit_file!("scoring.wit"),
    wit_file!("trajectory.wit"),
    wit_file!("types.wit"),
    wit_file!("worlds.wit"),
];

const LIB_TEMPLATE: &str = include_str!("template/lib.rs");
const README_TEMPLATE: &str = include_str!("template/README.md");

/// The SDK's dependencies, with the versions the workspace uses (checked against
/// plugins/sdk/Cargo.toml by a test).
const SDK_DEPENDENCIES: &str = r#"wit-bindgen = "0.60"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
serde_path_to_error = "0.1"
schemars = "1"
"#;

#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error(
        "`{0}` is not a usable plugin name: use lowercase letters, digits and `-`, starting with a letter"
    )]
    BadName(String),
    #[error("{0}: already exists; choose another name or folder")]
    Exists(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Creates the crate `parent/name` and returns its path.
pub fn create(name: &str, parent: &Path) -> Result<PathBuf, NewError> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && name.len() <= 64;
    if !valid {
        return Err(NewError::BadName(name.to_string()));
    }
    let root = parent.join(name);
    if root.exists() {
        return Err(NewError::Exists(root.display().to_string()));
    }
    for (path, content) in files(name) {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| NewError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&path, content).map_err(|source| NewError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(root)
}

/// Every file of the new crate: relative path and content.
fn files(name: &str) -> Vec<(String, String)> {
    let lib_name = name.replace('-', "_");
    let contract = CONTRACT_DIR.trim_start_matches('v');
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{lib_name}}", &lib_name)
            .replace("{{contract}}", contract)
    };
    let mut out = vec![
        ("Cargo.toml".to_string(), crate_manifest(name)),
        ("src/lib.rs".to_string(), fill(LIB_TEMPLATE)),
        ("README.md".to_string(), fill(README_TEMPLATE)),
        (".gitignore".to_string(), "/target\n".to_string()),
        ("vendor/synth-sdk/Cargo.toml".to_string(), sdk_manifest()),
    ];
    for (file, content) in SDK_FILES {
        out.push((format!("vendor/synth-sdk/src/{file}"), content.to_string()));
    }
    for (file, content) in WIT_FILES {
        out.push((format!("wit/{CONTRACT_DIR}/{file}"), content.to_string()));
    }
    out
}

fn crate_manifest(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
synth-sdk = {{ path = "vendor/synth-sdk" }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

# Small components: without this a debug build is mostly the standard library's DWARF.
[profile.release]
opt-level = "s"
strip = "debuginfo"

[profile.dev]
opt-level = "s"
strip = "debuginfo"

# Its own workspace, so it builds the same inside another project's folder.
[workspace]
"#
    )
}

fn sdk_manifest() -> String {
    format!(
        r#"[package]
name = "synth-sdk"
version = "{}"
edition = "2024"
publish = false
description = "The guest SDK of the synth plugin contract, vendored by `synth plugin new`"

[dependencies]
{SDK_DEPENDENCIES}"#,
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &str, ext: &str) -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut names: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(ext))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn embeds_every_sdk_and_wit_file() {
        let sdk: Vec<String> = SDK_FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(sdk, names_in("../plugins/sdk/src", ".rs"));
        let wit: Vec<String> = WIT_FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(wit, names_in(&format!("../wit/{CONTRACT_DIR}"), ".wit"));
        // The vendored SDK binds `../../wit/<contract>`, which is `wit/` of the new crate.
        let lib = SDK_FILES.iter().find(|(n, _)| *n == "lib.rs").unwrap().1;
        assert!(lib.contains(&format!("path: \"../../wit/{CONTRACT_DIR}\"")));
    }

    #[test]
    fn sdk_dependencies_match_the_workspace() {
        let manifest = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/Cargo.toml"),
        )
        .unwrap();
        let deps = manifest.split("[dependencies]").nth(1).unwrap();
        let want: Vec<&str> = deps
            .lines()
            .filter_map(|l| l.split(['=', '.']).next())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        let have: Vec<&str> = SDK_DEPENDENCIES
            .lines()
            .filter_map(|l| l.split('=').next())
            .map(str::trim)
            .collect();
        assert_eq!(want, have);
    }

    #[test]
    fn creates_the_crate_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let root = create("my-agent", dir.path()).unwrap();
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        assert!(lib.contains("name: \"my-agent\".into()"));
        assert!(lib.contains("release/my_agent.wasm"));
        assert!(!lib.contains("{{"));
        assert!(root.join("vendor/synth-sdk/src/calls.rs").exists());
        assert!(root.join("wit/v0.1.0/worlds.wit").exists());
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"my-agent\"") && manifest.contains("[workspace]"));
        let again = create("my-agent", dir.path()).unwrap_err();
        assert!(
            again
                .to_string()
                .ends_with("already exists; choose another name or folder")
        );
        for bad in ["", "My", "1x", "a_b", "a-", "a b", "../x"] {
            assert!(
                matches!(create(bad, dir.path()), Err(NewError::BadName(_))),
                "{bad}"
            );
        }
    }
}
