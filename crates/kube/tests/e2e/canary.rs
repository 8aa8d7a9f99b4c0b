//! Canary releases: promoted through every step.

use std::time::Duration;

use serin_api::Command;
use serin_api::status::RolloutPhase;

use crate::support::{CANARY, World};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_goes_through_its_steps_and_is_promoted() {
    // Given a healthy rollout on web:1
    let mut w = World::new().await;
    w.apply(CANARY);
    w.start_controller();
    let first = w
        .wait_status("web", "the first revision healthy", |s| {
            s.phase == Some(RolloutPhase::Healthy)
        })
        .await;
    let v1 = first.stable_revision.clone().expect("a stable revision");
    let mut ready = w.ready.clone();
    tokio::time::timeout(Duration::from_secs(10), ready.wait_for(|r| *r))
        .await
        .expect("the controller says it is ready")
        .expect("ready");
    assert_eq!(w.replicas("web").await, vec![(v1.clone(), 4)]);

    // When web:2 is released
    w.set_image("web", "web:2").await;

    // Then one canary replica of four runs and the rollout pauses at 25%
    let s = w
        .wait_status("web", "paused at 25%", |s| {
            s.phase == Some(RolloutPhase::Paused) && s.traffic.canary_weight == 25
        })
        .await;
    let v2 = s.current_revision.clone().expect("current");
    assert_ne!(v1, v2);
    assert_eq!(w.replicas_of("web", &v2).await, 1);
    assert_eq!(w.replicas_of("web", &v1).await, 3);

    // When the 30-second pause is over
    w.advance(Duration::from_secs(31));

    // Then it goes to 50% and waits for a person
    w.wait_status("web", "paused at 50%", |s| {
        s.phase == Some(RolloutPhase::Paused) && s.traffic.canary_weight == 50
    })
    .await;
    assert_eq!(w.replicas_of("web", &v2).await, 2);

    // When promoted
    w.command("web", Command::Promote).await;

    // Then web:2 is stable with all replicas, and web:1 goes to zero
    let s = w
        .wait_status("web", "web:2 healthy", |s| {
            s.phase == Some(RolloutPhase::Healthy) && s.stable_revision.as_deref() == Some(&v2)
        })
        .await;
    assert_eq!(s.last_command_id, 1);
    assert_eq!(w.replicas_of("web", &v2).await, 4);
    w.advance(Duration::from_secs(60));
    crate::support::eventually("web:1 at zero", || async {
        (w.replicas_of("web", &v1).await == 0).then_some(())
    })
    .await;
}
