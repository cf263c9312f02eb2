//! The episode key: a deterministic name for one cell of the run matrix, derived from the
//! content of everything that decides what the episode does. Equal inputs give equal keys
//! (so a re-run skips finished episodes); any change to the task instance, the component,
//! its configuration, the model, the sampling parameters or the sample index gives a new key.

use sha2::{Digest, Sha256};

/// The inputs that make an episode what it is.
pub struct KeyInputs<'a> {
    /// Content hash of the task instance (template files and parameters).
    pub instance_hash: &'a str,
    /// SHA-256 of the scaffold component file.
    pub component_hash: &'a str,
    /// The scaffold configuration, as canonical JSON.
    pub scaffold_config: &'a str,
    pub model: &'a str,
    /// Sampling parameters, as canonical JSON.
    pub sampling: &'a str,
    pub sample: u32,
}

/// 32 hex characters (128 bits) of SHA-256 over the length-prefixed inputs.
pub fn episode_key(k: &KeyInputs<'_>) -> String {
    let mut h = Sha256::new();
    for part in [
        "synth-episode-v1",
        k.instance_hash,
        k.component_hash,
        k.scaffold_config,
        k.model,
        k.sampling,
        &k.sample.to_string(),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> KeyInputs<'static> {
        KeyInputs {
            instance_hash: "i",
            component_hash: "c",
            scaffold_config: "{}",
            model: "oracle",
            sampling: "{}",
            sample: 0,
        }
    }

    #[test]
    fn stable_and_sensitive_to_every_input() {
        let k = episode_key(&base());
        assert_eq!(k, episode_key(&base()));
        assert_eq!(k.len(), 32);
        let variants = [
            KeyInputs {
                instance_hash: "j",
                ..base()
            },
            KeyInputs {
                component_hash: "d",
                ..base()
            },
            KeyInputs {
                scaffold_config: "{\"a\":1}",
                ..base()
            },
            KeyInputs {
                model: "nop",
                ..base()
            },
            KeyInputs {
                sampling: "{\"temperature\":0.5}",
                ..base()
            },
            KeyInputs {
                sample: 1,
                ..base()
            },
        ];
        for v in variants {
            assert_ne!(episode_key(&v), k);
        }
    }

    #[test]
    fn length_prefix_prevents_ambiguity() {
        let a = KeyInputs {
            instance_hash: "ab",
            component_hash: "c",
            ..base()
        };
        let b = KeyInputs {
            instance_hash: "a",
            component_hash: "bc",
            ..base()
        };
        assert_ne!(episode_key(&a), episode_key(&b));
    }
}
