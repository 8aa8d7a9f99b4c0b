//! The world with no release under way (or an aborted one): the stable
//! revision alone, at full scale, with all traffic.

use std::collections::BTreeMap;

use serin_api::status::Traffic;

use crate::context::{Cx, Desired, Draft, Wait};

/// Where a blue-green preview points when no release is under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Preview {
    /// A canary has no preview.
    None,
    /// The preview shows the stable revision.
    Stable,
}

/// The stable revision alone, with all traffic.
pub(crate) fn steady(cx: &Cx<'_>, d: &mut Draft, preview: Preview) -> Desired {
    let stable = d.stable();
    let r = cx.replicas();
    if cx.ready(&stable) < r {
        d.wait(Wait::Platform(format!(
            "stable {stable}: {}/{r} replicas ready",
            cx.ready(&stable)
        )));
    }
    Desired {
        replicas: BTreeMap::from([(stable.clone(), r)]),
        traffic: Traffic {
            preview: (preview == Preview::Stable).then(|| stable.clone()),
            stable: Some(stable),
            ..Traffic::default()
        },
        runs: Vec::new(),
    }
}

/// The same, for an aborted release: nothing is awaited.
pub(crate) fn aborted(cx: &Cx<'_>, d: &mut Draft, preview: Preview) -> Desired {
    let desired = steady(cx, d, preview);
    d.wait = Wait::Aborted;
    desired
}
