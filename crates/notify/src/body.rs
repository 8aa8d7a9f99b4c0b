//! The JSON each kind of sink is sent for an event.

use serde_json::{Value, json};

use crate::config::Sink;
use crate::event::{Event, reason_name};

/// The generic webhook's body: every field of the event, `null` where the
/// event has no value, and `text`, the sink's template rendered.
pub fn webhook_body(event: &Event, text: &str) -> Value {
    json!({
        "event": reason_name(event.reason),
        "severity": event.severity(),
        "rollout": event.rollout,
        "namespace": event.namespace,
        "revision": event.revision,
        "step": event.step,
        "weight": event.weight,
        "message": event.message,
        "time": event.time.to_string(),
        "text": text,
    })
}

/// A Slack incoming webhook's body: `{"text": ...}`, plus with `blocks` a
/// section holding the text and a context line (rollout, revision, step,
/// weight, event).
pub fn slack_body(event: &Event, text: &str, blocks: bool) -> Value {
    if !blocks {
        return json!({ "text": text });
    }
    let mut context = format!("*{}/{}*", event.namespace, event.rollout);
    if let Some(r) = &event.revision {
        context.push_str(&format!(" · revision `{r}`"));
    }
    if let Some(s) = event.step {
        context.push_str(&format!(" · step {s}"));
    }
    if let Some(w) = event.weight {
        context.push_str(&format!(" · weight {w}%"));
    }
    context.push_str(&format!(" · {}", reason_name(event.reason)));
    json!({
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    })
}

/// The body `sink` is sent for `event`.
pub(crate) fn body_for(sink: &Sink, event: &Event) -> Value {
    let text = sink.template.render(event);
    match sink.kind {
        crate::SinkKind::Webhook => webhook_body(event, &text),
        crate::SinkKind::Slack => slack_body(event, &text, sink.blocks),
    }
}
