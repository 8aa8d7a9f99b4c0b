//! The header and mirror routes in effect as a canary's steps are carried
//! out in order: a `setHeaderRoute` or `setMirrorRoute` replaces the route
//! of its name, and one with no `match` removes it (a mirror route with a
//! `percentage` and no `match` stays, mirroring every request). Each route
//! remembers the step that set it. The one walk behind both the engine's
//! targets for a step and `serin-traffic`'s spec check. Pure.

use crate::canary::StepKind;
use crate::routes::{HeaderRoute, MirrorRoute};

/// The routes in effect after the steps carried out so far, in the order
/// they were set, each with the index of the step that set it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoutesInEffect {
    headers: Vec<(usize, HeaderRoute)>,
    mirrors: Vec<(usize, MirrorRoute)>,
}

impl RoutesInEffect {
    /// Carries out step `i` of kind `kind`; whether it was a route step
    /// (`setHeaderRoute` or `setMirrorRoute`). Other steps change nothing.
    pub fn step(&mut self, i: usize, kind: Option<StepKind<'_>>) -> bool {
        match kind {
            Some(StepKind::SetHeaderRoute(h)) => {
                self.headers.retain(|(_, r)| r.name != h.name);
                if !h.matches.is_empty() {
                    let route = HeaderRoute {
                        name: h.name.clone(),
                        matches: h.matches.clone(),
                    };
                    self.headers.push((i, route));
                }
                true
            }
            Some(StepKind::SetMirrorRoute(m)) => {
                self.mirrors.retain(|(_, r)| r.name != m.name);
                if !m.matches.is_empty() || m.percentage.is_some() {
                    let route = MirrorRoute {
                        name: m.name.clone(),
                        matches: m.matches.clone(),
                        percentage: m.percentage.unwrap_or(100).clamp(0, 100),
                    };
                    self.mirrors.push((i, route));
                }
                true
            }
            _ => false,
        }
    }

    /// The header routes in effect, in the order they were set.
    pub fn header_routes(&self) -> Vec<HeaderRoute> {
        self.headers.iter().map(|(_, r)| r.clone()).collect()
    }

    /// The mirror routes in effect, in the order they were set.
    pub fn mirror_routes(&self) -> Vec<MirrorRoute> {
        self.mirrors.iter().map(|(_, r)| r.clone()).collect()
    }

    /// The index of the step that set the `k`-th header route in effect.
    pub fn header_step(&self, k: usize) -> Option<usize> {
        self.headers.get(k).map(|(i, _)| *i)
    }

    /// The index of the step that set the `k`-th mirror route in effect.
    pub fn mirror_step(&self, k: usize) -> Option<usize> {
        self.mirrors.get(k).map(|(i, _)| *i)
    }
}

#[cfg(test)]
mod tests;
