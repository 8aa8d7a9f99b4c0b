//! The revision of a pod template: a short, stable hash of its JSON, used
//! as the value of [`POD_TEMPLATE_HASH_LABEL`](serin_api::k8s::POD_TEMPLATE_HASH_LABEL)
//! on ReplicaSets, their pods and the Services a router points. The same
//! template always gives the same hash, in any process, so a restarted
//! controller finds the ReplicaSets it made.

use k8s_openapi::api::core::v1::PodTemplateSpec;

/// Letters that never spell words (no vowels), as Kubernetes uses for
/// generated names.
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The length of a revision.
pub const LEN: usize = 10;

/// The revision of `template`: FNV-1a (64 bits) of `serin:` and its JSON,
/// in the letters of `ALPHABET`. The prefix keeps it apart from a hash another
/// controller takes of the same template (a `workloadRef` Deployment's
/// ReplicaSet is named `<deployment>-<its hash>`, and a Rollout may share
/// the Deployment's name).
pub fn revision_of(template: &PodTemplateSpec) -> String {
    let mut bytes = b"serin:".to_vec();
    bytes.extend(serde_json::to_vec(template).unwrap_or_default());
    encode(fnv1a(&bytes))
}

/// A short hash of any text (for names cut to fit).
pub fn short(text: &str) -> String {
    encode(fnv1a(text.as_bytes()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn encode(mut n: u64) -> String {
    let base = ALPHABET.len() as u64;
    let mut out = String::with_capacity(LEN);
    for _ in 0..LEN {
        let i = usize::try_from(n % base).unwrap_or(0);
        out.push(char::from(ALPHABET[i]));
        n /= base;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, PodSpec};

    fn template(image: &str) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: None,
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "app".into(),
                    image: Some(image.into()),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
        }
    }

    #[test]
    fn the_same_template_always_has_the_same_revision() {
        assert_eq!(
            revision_of(&template("web:1")),
            revision_of(&template("web:1"))
        );
        assert_eq!(revision_of(&template("web:1")).len(), LEN);
    }

    #[test]
    fn another_template_has_another_revision_that_is_a_valid_label_value() {
        let (a, b) = (
            revision_of(&template("web:1")),
            revision_of(&template("web:2")),
        );
        assert_ne!(a, b);
        assert!(b.bytes().all(|c| ALPHABET.contains(&c)), "{b}");
    }
}
