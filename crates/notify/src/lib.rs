//! Notifications: rollout events (release started, step completed, paused,
//! aborted, promoted, analysis failed...) delivered to configured sinks — a
//! generic JSON webhook or a Slack-compatible incoming webhook — each with
//! an event filter and a message [`template`].
//!
//! [`Notifier::notify`] never awaits the network and never blocks: each
//! sink has a bounded queue (a full queue drops its oldest event and counts
//! it) and its own task, which delivers in order with a timeout per attempt
//! and retries with exponential backoff. A receiver that is down or slow
//! changes nothing in a rollout's timing.
//!
//! Files: `config` (the `notifications:` section, validated with field
//! paths), `event` (what is notified), `template`, `body` (the JSON sent),
//! `queue`, `deliver` (one event to one sink, with retries), `notifier`.

mod body;
pub mod config;
mod deliver;
mod event;
mod notifier;
mod queue;
pub mod template;

pub use body::{slack_body, webhook_body};
pub use config::{Config, ConfigError, Sink, SinkKind};
pub use deliver::DeliveryError;
pub use event::{Event, is_warning};
pub use notifier::{Notifier, SinkStats, StartError};

/// Takes rollout events for delivery. Implementations return at once: the
/// platforms call it from their planning passes.
pub trait EventNotifier: Send + Sync + std::fmt::Debug {
    /// Queues `event` for every sink whose filter takes it.
    fn notify(&self, event: Event);
}
