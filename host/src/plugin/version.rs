//! Reads which contract version and world a component was built against, from the
//! component's own type information (the versioned `synth:plugin/...@X.Y.Z` names it imports
//! and exports), and decides whether this host can run it. Works for components from any
//! toolchain. Must never instantiate or run the component.

use semver::Version;

/// The WIT package every contract interface belongs to.
pub const PACKAGE: &str = "synth:plugin";

/// Contract versions this host implements, newest first. A new version gets its own
/// `wit/vX.Y.Z` folder and host module beside the old ones.
pub const SUPPORTED: &[&str] = &["0.1.0"];

/// The two kinds of plugin the contract defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorldKind {
    Scaffold,
    Scorer,
}

impl WorldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorldKind::Scaffold => "scaffold",
            WorldKind::Scorer => "scorer",
        }
    }
}

/// What the type information says about a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractUse {
    pub version: Version,
    pub world: WorldKind,
}

/// Why a component cannot be run by this host.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContractError {
    #[error("it neither imports nor exports any {PACKAGE} interface: not a synth plugin")]
    NotAPlugin,
    #[error("it exports neither {PACKAGE}/scaffold-api nor {PACKAGE}/scorer-api")]
    NoWorld,
    #[error("its {PACKAGE} interfaces name several versions ({0}); a component uses one")]
    MixedVersions(String),
    #[error("interface name `{0}` has no valid version")]
    BadVersion(String),
    #[error(
        "built against contract {PACKAGE}@{found}, but this synth supports {PACKAGE}@{supported}"
    )]
    Unsupported { found: Version, supported: String },
}

/// Splits `synth:plugin/llm@0.1.0` into (`llm`, version). Names of other packages give None.
fn parse_name(name: &str) -> Option<Result<(&str, Version), ContractError>> {
    let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
    let Some((iface, version)) = rest.split_once('@') else {
        return Some(Err(ContractError::BadVersion(name.to_string())));
    };
    Some(
        Version::parse(version)
            .map(|v| (iface, v))
            .map_err(|_| ContractError::BadVersion(name.to_string())),
    )
}

/// Decides the contract version and world from a component's import and export names.
pub fn classify<'a>(
    imports: impl IntoIterator<Item = &'a str>,
    exports: impl IntoIterator<Item = &'a str>,
) -> Result<ContractUse, ContractError> {
    let mut versions: Vec<Version> = Vec::new();
    let mut world = None;
    for name in imports {
        if let Some(parsed) = parse_name(name) {
            let (_, v) = parsed?;
            versions.push(v);
        }
    }
    for name in exports {
        if let Some(parsed) = parse_name(name) {
            let (iface, v) = parsed?;
            match iface {
                "scaffold-api" => world = Some(WorldKind::Scaffold),
                "scorer-api" => world = Some(WorldKind::Scorer),
                _ => {}
            }
            versions.push(v);
        }
    }
    versions.sort();
    versions.dedup();
    let version = match versions.as_slice() {
        [] => return Err(ContractError::NotAPlugin),
        [one] => one.clone(),
        many => {
            let list: Vec<String> = many.iter().map(|v| v.to_string()).collect();
            return Err(ContractError::MixedVersions(list.join(", ")));
        }
    };
    check_supported(&version)?;
    let world = world.ok_or(ContractError::NoWorld)?;
    Ok(ContractUse { version, world })
}

/// A component built against `found` runs here if a supported version has the same major
/// version (the same minor too while major is 0) and is not older than `found`.
pub fn check_supported(found: &Version) -> Result<&'static str, ContractError> {
    for supported in SUPPORTED {
        let s = Version::parse(supported).expect("SUPPORTED holds valid versions");
        let same_line = s.major == found.major && (s.major > 0 || s.minor == found.minor);
        if same_line && s >= *found {
            return Ok(supported);
        }
    }
    Err(ContractError::Unsupported {
        found: found.clone(),
        supported: SUPPORTED.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffold_of_supported_version() {
        let c = classify(
            [
                "wasi:cli/stderr@0.2.6",
                "synth:plugin/types@0.1.0",
                "synth:plugin/llm@0.1.0",
            ],
            ["synth:plugin/scaffold-api@0.1.0", "exports"],
        )
        .unwrap();
        assert_eq!(c.world, WorldKind::Scaffold);
        assert_eq!(c.version, Version::new(0, 1, 0));
    }

    #[test]
    fn scorer_world() {
        let c = classify(
            ["synth:plugin/log@0.1.0"],
            ["synth:plugin/scorer-api@0.1.0"],
        )
        .unwrap();
        assert_eq!(c.world, WorldKind::Scorer);
    }

    #[test]
    fn other_versions_are_refused_naming_both() {
        let err = classify([], ["synth:plugin/scaffold-api@2.0.0"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "built against contract synth:plugin@2.0.0, but this synth supports synth:plugin@0.1.0"
        );
        assert!(classify([], ["synth:plugin/scaffold-api@0.2.0"]).is_err());
        assert!(classify([], ["synth:plugin/scaffold-api@0.1.1"]).is_err());
    }

    #[test]
    fn not_a_plugin_and_no_world() {
        assert_eq!(
            classify(["wasi:cli/stderr@0.2.6"], ["wasi:cli/run@0.2.6"]),
            Err(ContractError::NotAPlugin)
        );
        assert_eq!(
            classify(["synth:plugin/llm@0.1.0"], []),
            Err(ContractError::NoWorld)
        );
    }

    #[test]
    fn mixed_versions_are_refused() {
        let err = classify(
            ["synth:plugin/llm@0.1.0"],
            ["synth:plugin/scaffold-api@0.2.0"],
        )
        .unwrap_err();
        assert!(matches!(err, ContractError::MixedVersions(_)));
    }
}
