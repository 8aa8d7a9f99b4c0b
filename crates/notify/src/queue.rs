//! A sink's queue: bounded, never blocking the side that pushes. When full,
//! the oldest event makes room and is counted as dropped. One task pops.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::event::Event;

struct State {
    items: VecDeque<Arc<Event>>,
    closed: bool,
    /// An event was popped and [`Queue::done`] not called yet.
    in_flight: bool,
}

/// A bounded drop-oldest queue with one consumer.
pub(crate) struct Queue {
    state: Mutex<State>,
    bell: Notify,
    capacity: usize,
}

impl Queue {
    /// An empty queue holding at most `capacity` events (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
                in_flight: false,
            }),
            bell: Notify::new(),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `event`; returns whether the oldest event was dropped for it.
    pub fn push(&self, event: Arc<Event>) -> bool {
        let dropped = {
            let mut s = self.lock();
            let dropped = s.items.len() >= self.capacity && s.items.pop_front().is_some();
            s.items.push_back(event);
            dropped
        };
        self.bell.notify_one();
        dropped
    }

    /// Whether no event waits and none is being delivered.
    pub fn idle(&self) -> bool {
        let s = self.lock();
        s.items.is_empty() && !s.in_flight
    }

    /// The event last popped is delivered or given up on.
    pub fn done(&self) {
        self.lock().in_flight = false;
    }

    /// No more events: [`Queue::pop`] returns `None` once the queue is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.bell.notify_one();
    }

    /// The oldest event, waiting for one; `None` once closed and empty.
    /// Until [`Queue::done`], the queue is not idle.
    pub async fn pop(&self) -> Option<Arc<Event>> {
        loop {
            {
                let mut s = self.lock();
                if let Some(e) = s.items.pop_front() {
                    s.in_flight = true;
                    return Some(e);
                }
                if s.closed {
                    return None;
                }
            }
            self.bell.notified().await;
        }
    }
}
