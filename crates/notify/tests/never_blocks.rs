//! `notify` never waits for a receiver: one that is down or answers after
//! 5 s changes nothing in the caller's timing, a full queue drops its
//! oldest event and counts it, and a slow sink does not hold up another.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use serin_engine::EventReason;
use support::{Answers, Receiver, answering, down_url, event, notifier, one_sink, wait_stats};

/// Times `calls` calls to `notify`; checks that the typical one takes well
/// under a millisecond and that none waited on anything (a thread of a
/// busy machine may still be descheduled during one, hence the wider
/// bound on the slowest).
fn assert_notify_is_instant(n: &serin_notify::Notifier, calls: usize) {
    let mut took: Vec<Duration> = (0..calls)
        .map(|i| {
            let e = event(EventReason::StepCompleted, &format!("step {i} done"));
            let start = Instant::now();
            n.notify(e);
            start.elapsed()
        })
        .collect();
    took.sort_unstable();
    let (median, slowest) = (took[calls / 2], took[calls - 1]);
    assert!(median < Duration::from_micros(200), "median {median:?}");
    assert!(slowest < Duration::from_millis(50), "slowest {slowest:?}");
}

#[tokio::test]
async fn notify_returns_at_once_when_the_receiver_answers_after_5s() {
    let rx = Receiver::start(Answers {
        delay: Duration::from_secs(5),
        ..Answers::default()
    })
    .await;
    let n = one_sink("webhook", &rx.url, ", timeout: 10s");
    n.notify(event(EventReason::RolloutStarted, "releasing v2"));
    rx.wait_for(1).await;
    // The first request is now held by the receiver.
    assert_notify_is_instant(&n, 50);
}

#[tokio::test]
async fn notify_returns_at_once_when_the_receiver_is_down() {
    let n = one_sink("slack", &down_url(), ", attempts: 20, backoff: 10ms");
    assert_notify_is_instant(&n, 50);
    // Meanwhile the sink's task keeps trying the first event.
    wait_stats(&n, "retries", |s| s[0].retried >= 2 && s[0].delivered == 0).await;
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest_events_and_counts_them() {
    let rx = Receiver::start(Answers {
        gated: true,
        ..Answers::default()
    })
    .await;
    let n = notifier(&format!(
        "notifications:\n  queueSize: 2\n  sinks: [{{name: hook, type: webhook, url: '{}', timeout: 30s}}]\n",
        rx.url
    ));
    n.notify(event(EventReason::RolloutStarted, "1"));
    rx.wait_for(1).await;
    for m in ["2", "3", "4", "5"] {
        n.notify(event(EventReason::StepCompleted, m));
    }
    assert_eq!(n.stats()[0].dropped, 2);
    rx.open();
    wait_stats(&n, "the queue delivered", |s| s[0].delivered == 3).await;
    let messages: Vec<_> = rx.bodies().iter().map(|b| b["message"].clone()).collect();
    assert_eq!(messages, ["1", "4", "5"]);
    assert!(n.flush(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn a_slow_sink_does_not_hold_up_another() {
    let slow = Receiver::start(Answers {
        gated: true,
        ..Answers::default()
    })
    .await;
    let fast = answering(200, 0).await;
    let n = notifier(&format!(
        "notifications:
  sinks:
    - {{name: slow, type: webhook, url: '{}', timeout: 30s}}
    - {{name: fast, type: slack, url: '{}'}}
",
        slow.url, fast.url
    ));
    for m in ["1", "2", "3"] {
        n.notify(event(EventReason::StepCompleted, m));
    }
    assert_eq!(fast.wait_for(3).await.len(), 3);
    assert_eq!(slow.bodies().len(), 1);
    slow.open();
    slow.wait_for(3).await;
}
