//! The list of rules (HTTPRoute `spec.rules`) or routes (VirtualService
//! `spec.http`) serin changes, in the terms both routers share: which
//! entries are serin's (named `serin-*`), the key of an owned entry in
//! serin's record, and the list a traffic asks for — the owned weights
//! set, serin's entries added in front — or that a restore gives back.
//! Pure.

use serde_json::Value;
use serin_api::status::Traffic;

use super::managed::{self, Added};
use super::objects::Object;
use super::weights::{self, Arm, Recorded, Split};

/// Where the weighted list sits in an entry, and what entries are called.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    /// The field of an entry holding its weighted backends (`backendRefs`,
    /// `route`).
    pub backends: &'static str,
    /// What an entry is called in messages (`rule`, `route`).
    pub entry: &'static str,
    /// Where serin's entries go: in front of every entry (Gateway API,
    /// which orders rules by how specific their matches are), or just
    /// before the first owned entry (Istio, which takes the first route
    /// that matches: an entry in front of the owned one must not catch
    /// what an earlier route of someone else's would).
    pub in_front_of_all: bool,
}

/// The entries of `list` that are not serin's.
pub(crate) fn theirs(list: &[Value]) -> Vec<Value> {
    list.iter()
        .filter(|r| !managed::is_serins(r["name"].as_str()))
        .cloned()
        .collect()
}

/// The indices in `entries` of the ones named `names`.
///
/// # Errors
/// One of `names` is not there.
pub(crate) fn named(
    obj: Object<'_>,
    layout: Layout,
    entries: &[Value],
    names: &[String],
) -> Result<Vec<usize>, crate::RouterError> {
    names
        .iter()
        .map(|name| {
            entries
                .iter()
                .position(|r| r["name"].as_str() == Some(name))
                .ok_or_else(|| obj.invalid(format!("no {} named {name}", layout.entry)))
        })
        .collect()
}

/// An entry's key in serin's record: its name, or `#<index>` among the
/// entries that are not serin's.
fn key(entry: &Value, index: usize) -> String {
    entry["name"]
        .as_str()
        .map_or_else(|| format!("#{index}"), str::to_string)
}

/// What a traffic asks of one object's list.
pub(crate) struct Ask<'a> {
    /// Where the weights are.
    pub layout: Layout,
    /// The traffic.
    pub traffic: &'a Traffic,
    /// The total weight.
    pub total: i32,
    /// `trafficRouting.managedRoutes`, in precedence order.
    pub managed: &'a [String],
}

/// `entries` (serin's left out) as `ask` wants them — `entries` with the
/// weights of the `owned` ones set, and serin's added entries, built by
/// `build` from each owned entry, where [`Layout::in_front_of_all`] says —
/// and the owned weights as they were.
///
/// # Errors
/// An owned entry lacks an arm (`describe` names what it should hold), or
/// `build` failed.
pub(crate) fn desired(
    obj: Object<'_>,
    mut entries: Vec<Value>,
    owned: &[usize],
    arm_of: impl Fn(&Value) -> Option<Arm> + Copy,
    describe: impl Fn(Arm) -> String,
    ask: &Ask<'_>,
    build: impl Fn(&Value, &str, Added<'_>) -> Result<Value, String>,
) -> Result<(Vec<Value>, Recorded), crate::RouterError> {
    let layout = ask.layout;
    let split = Split::of(ask.traffic, ask.total);
    let mut before = Recorded::new();
    for &i in owned {
        let backends = super::objects::list(&entries[i], layout.backends);
        if let Some(missing) = weights::missing_arm(backends, arm_of) {
            return Err(obj.invalid(format!(
                "{} {} has no {}",
                layout.entry,
                key(&entries[i], i),
                describe(missing)
            )));
        }
        before.insert(key(&entries[i], i), weights::current(backends, arm_of));
        if let Some(list) = entries[i][layout.backends].as_array_mut() {
            weights::set(list, arm_of, split);
        }
    }
    let mut added = Vec::new();
    for asked in managed::in_precedence(ask.traffic, ask.managed) {
        for (n, &i) in owned.iter().enumerate() {
            let name = managed::rule_name(asked.name(), n, owned.len());
            let entry = build(&entries[i], &name, asked)
                .map_err(|e| obj.invalid(format!("managed route {}: {e}", asked.name())))?;
            added.push(entry);
        }
    }
    let at = if layout.in_front_of_all {
        0
    } else {
        owned.iter().copied().min().unwrap_or(0)
    };
    entries.splice(at..at, added);
    Ok((entries, before))
}

/// `entries` (serin's left out) with the weights serin recorded put back.
pub(crate) fn restored(
    layout: Layout,
    mut entries: Vec<Value>,
    recorded: &Recorded,
    arm_of: impl Fn(&Value) -> Option<Arm> + Copy,
) -> Vec<Value> {
    for (key, before) in recorded {
        let position = match key.strip_prefix('#') {
            Some(index) => index.parse().ok().filter(|&i: &usize| i < entries.len()),
            None => entries.iter().position(|r| r["name"].as_str() == Some(key)),
        };
        if let Some(list) = position.and_then(|i| entries[i][layout.backends].as_array_mut()) {
            weights::restore(list, arm_of, before);
        }
    }
    entries
}
