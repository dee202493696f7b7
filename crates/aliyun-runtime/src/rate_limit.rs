//! Client-side QPS limiting. The service counts calls per API per account per
//! second; the limiter guarantees that no window of one second holds more than
//! the limit, by handing out start times: a call may start no earlier than one
//! second after the call `limit` places before it. Waiters are served in order.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Per-action limiters shared by all clones of a client.
#[derive(Debug, Default)]
pub struct RateLimiters {
    by_action: Mutex<HashMap<&'static str, Window>>,
}

#[derive(Debug)]
struct Window {
    limit: usize,
    starts: VecDeque<Instant>,
}

const WINDOW: Duration = Duration::from_secs(1);

impl RateLimiters {
    /// Waits until a call to `action`, limited to `per_second`, may start.
    pub async fn acquire(&self, action: &'static str, per_second: u32) {
        let start = self.reserve(action, per_second, Instant::now());
        tokio::time::sleep_until(start).await;
    }

    /// Books the earliest start time for one call and returns it.
    pub fn reserve(&self, action: &'static str, per_second: u32, now: Instant) -> Instant {
        let limit = per_second.max(1) as usize;
        let mut map = self.by_action.lock().unwrap_or_else(|e| e.into_inner());
        let window = map.entry(action).or_insert_with(|| Window {
            limit,
            starts: VecDeque::with_capacity(limit),
        });
        let start = if window.starts.len() < window.limit {
            now
        } else {
            let oldest = window.starts[window.starts.len() - window.limit];
            now.max(oldest + WINDOW)
        };
        window.starts.push_back(start);
        while window.starts.len() > window.limit {
            window.starts.pop_front();
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_second_holds_more_than_the_limit() {
        let limiters = RateLimiters::default();
        let t0 = Instant::now();
        let starts: Vec<Instant> = (0..350).map(|_| limiters.reserve("A", 100, t0)).collect();
        // Any window [t, t + 1 s) holds at most 100 starts.
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts[i..].iter().filter(|x| **x < *s + WINDOW).count();
            assert!(in_window <= 100, "window at {i} holds {in_window}");
        }
        // And the limiter is not stricter than it must be: 300 calls fit in 2 s + epsilon.
        assert_eq!(starts[99], t0);
        assert_eq!(starts[100], t0 + WINDOW);
        assert_eq!(starts[299], t0 + 2 * WINDOW);
        // Other actions are not affected.
        assert_eq!(limiters.reserve("B", 100, t0), t0);
    }
}
