//! Webhooks as gates of a release: `pre-rollout` before any traffic moves,
//! `rollout` beside each canary step (and before a blue-green switch),
//! `confirm-promotion` before promotion (it holds until a 2xx), `rollback`
//! asked throughout a release (a 2xx aborts), `post-rollout` called once
//! after promotion. A call's outcome comes back as a run of the same name.

use serin_api::AnalysisPhase;
use serin_api::status::AnalysisKind;
use serin_api::webhook::{Webhook, WebhookPayload, WebhookType};

use crate::analysis::{Gate, run_name};
use crate::context::{Cx, Draft, RunSpec, Wait, WantedRun};
use crate::output::{Action, EventReason};

/// The run name of a webhook call: per release, per step for `rollout`.
fn call_name(d: &Draft, hook: &Webhook, step: Option<i32>) -> String {
    let base = run_name(&d.current(), d.st.attempt, AnalysisKind::Webhook, None);
    match step {
        Some(i) => format!("{base}-{}-step-{i}", hook.name),
        None => format!("{base}-{}", hook.name),
    }
}

fn wanted(d: &Draft, hook: &Webhook, step: Option<i32>) -> WantedRun {
    let payload = WebhookPayload {
        phase: hook.type_.as_str().to_string(),
        revision: d.current(),
        stable_revision: d.stable(),
        step,
        metadata: hook.metadata.clone(),
        ..WebhookPayload::default()
    };
    WantedRun {
        name: call_name(d, hook, step),
        kind: AnalysisKind::Webhook,
        step,
        spec: RunSpec::Webhook(Box::new((hook.clone(), payload))),
    }
}

/// Whether every webhook of `type_` answered 2xx; a failed one aborts. Adds
/// the calls it needs to `runs`.
pub(crate) fn gate(
    cx: &Cx<'_>,
    d: &mut Draft,
    type_: WebhookType,
    step: Option<i32>,
    runs: &mut Vec<WantedRun>,
) -> Gate {
    let mut gate = Gate::Pass;
    for hook in cx.spec.webhooks.iter().filter(|h| h.type_ == type_) {
        let run = wanted(d, hook, step);
        let name = run.name.clone();
        runs.push(run);
        match d.run_verdict(cx, &name) {
            Some(AnalysisPhase::Successful) => {}
            Some(AnalysisPhase::Failed | AnalysisPhase::Error) if !type_.polls() => {
                let message = cx
                    .obs
                    .analysis_runs
                    .get(&name)
                    .and_then(|r| r.message.clone());
                let why = match message {
                    Some(m) if !m.is_empty() => {
                        format!("{} webhook {} failed: {m}", type_.as_str(), hook.name)
                    }
                    _ => format!("{} webhook {} failed", type_.as_str(), hook.name),
                };
                d.event(EventReason::WebhookFailed, why.clone());
                return Gate::Abort(why);
            }
            None | Some(AnalysisPhase::Pending) => {
                d.wait(Wait::Platform(format!(
                    "{} webhook {} to be called",
                    type_.as_str(),
                    hook.name
                )));
                gate = Gate::Hold;
            }
            Some(_) => {
                d.wait(Wait::Analysis(format!(
                    "{} webhook {} to answer 2xx",
                    type_.as_str(),
                    hook.name
                )));
                gate = Gate::Hold;
            }
        }
    }
    gate
}

/// Asks every `rollback` webhook; returns why to abort if one answered 2xx.
pub(crate) fn rollback_asked(
    cx: &Cx<'_>,
    d: &mut Draft,
    runs: &mut Vec<WantedRun>,
) -> Option<String> {
    for hook in cx
        .spec
        .webhooks
        .iter()
        .filter(|h| h.type_ == WebhookType::Rollback)
    {
        let run = wanted(d, hook, None);
        let name = run.name.clone();
        runs.push(run);
        if cx.run_phase(&name) == Some(AnalysisPhase::Successful) {
            let why = format!("rollback webhook {} asked to roll back", hook.name);
            d.event(EventReason::WebhookFailed, why.clone());
            return Some(why);
        }
    }
    None
}

/// The `post-rollout` calls of a promotion, made once.
pub(crate) fn post_rollout(cx: &Cx<'_>, d: &mut Draft) {
    for hook in cx
        .spec
        .webhooks
        .iter()
        .filter(|h| h.type_ == WebhookType::PostRollout)
    {
        let run = wanted(d, hook, None);
        if let RunSpec::Webhook(call) = run.spec {
            let (webhook, payload) = *call;
            d.actions.push(Action::CallWebhook {
                name: run.name,
                webhook,
                payload,
            });
        }
    }
}
