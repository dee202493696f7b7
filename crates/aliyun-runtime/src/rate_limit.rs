//! Client-side QPS limiting. The service counts calls per API per account per
//! second; the limiter guarantees that no window of one second holds more than
//! the limit: a call may start no earlier than one second after the call `limit`
//! places before it. Waiters are served in order.
//!
//! Each (action, limit) pair has its own window: the times at which the last
//! `limit` calls started, and a queue of the calls waiting to start. Only the
//! first waiter may start; it sleeps until the oldest recorded start is one second
//! old, records the time it actually started and hands the turn to the next.
//! A start is recorded only when it happens, so a waiter that is cancelled (its
//! future dropped: a timeout, a `select!`) holds no slot: it leaves the queue,
//! and if it was first, the next waiter takes its turn at the same time.
//!
//! When the service says the quota is spent (a throttling answer, or quota
//! headers with `Remain:0`), [`RateLimiters::pause`] holds the window's calls
//! back until it opens again.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Per-(action, limit) limiters shared by all clones of a client.
#[derive(Debug, Default)]
pub struct RateLimiters {
    windows: Mutex<HashMap<Key, Window>>,
}

/// The action and its calls per second (at least 1): two operations with the same
/// action but different limits do not share a window.
type Key = (&'static str, u32);

#[derive(Debug, Default)]
struct Window {
    /// When the last `limit` (at most) calls started, oldest first.
    started: VecDeque<Instant>,
    /// The calls waiting to start, in arrival order.
    queue: VecDeque<Waiter>,
    next_id: u64,
    /// No call starts before this: the service said its quota is spent.
    paused_until: Option<Instant>,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    /// Woken when this waiter becomes the first of the queue.
    turn: Arc<Notify>,
}

const WINDOW: Duration = Duration::from_secs(1);

impl Window {
    /// The earliest time the next call may start: one second after the call
    /// `limit` places before it, or `None` when fewer than `limit` calls are recorded.
    fn next_start(&self, limit: u32) -> Option<Instant> {
        let by_count = if self.started.len() < limit as usize {
            None
        } else {
            self.started.front().map(|oldest| *oldest + WINDOW)
        };
        by_count.max(self.paused_until)
    }

    fn may_start(&self, limit: u32, now: Instant) -> bool {
        self.next_start(limit).is_none_or(|at| at <= now)
    }

    /// Records a call that starts now.
    fn record_start(&mut self, limit: u32, now: Instant) {
        self.started.push_back(now);
        while self.started.len() > limit as usize {
            self.started.pop_front();
        }
    }

    /// Removes the waiter `id` if it is queued; wakes the next first waiter if it was first.
    fn leave(&mut self, id: u64) {
        if let Some(pos) = self.queue.iter().position(|w| w.id == id) {
            self.queue.remove(pos);
            if pos == 0 {
                self.wake_first();
            }
        }
    }

    fn wake_first(&self) {
        if let Some(first) = self.queue.front() {
            first.turn.notify_one();
        }
    }
}

/// A queued waiter's place; dropping it before the call started gives the place back.
struct Place<'a> {
    limiters: &'a RateLimiters,
    key: Key,
    id: u64,
    started: bool,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if self.started {
            return;
        }
        if let Some(window) = self.limiters.lock().get_mut(&self.key) {
            window.leave(self.id);
        }
    }
}

/// What a queued waiter does next.
enum Step {
    Started,
    SleepUntil(Instant),
    WaitForTurn,
}

impl RateLimiters {
    /// Waits until a call to `action`, limited to `per_second`, may start.
    ///
    /// Cancel-safe: if the returned future is dropped before it completes, the call
    /// did not start and takes no slot; the waiters behind it move up.
    pub async fn acquire(&self, action: &'static str, per_second: u32) {
        let limit = per_second.max(1);
        let key = (action, limit);
        let (id, turn) = {
            let mut windows = self.lock();
            let window = windows.entry(key).or_default();
            let now = Instant::now();
            if window.queue.is_empty() && window.may_start(limit, now) {
                window.record_start(limit, now);
                return;
            }
            let id = window.next_id;
            window.next_id += 1;
            let turn = Arc::new(Notify::new());
            window.queue.push_back(Waiter {
                id,
                turn: turn.clone(),
            });
            (id, turn)
        };
        let mut place = Place {
            limiters: self,
            key,
            id,
            started: false,
        };
        loop {
            let step = {
                let mut windows = self.lock();
                let window = windows
                    .get_mut(&key)
                    .expect("a queued waiter's window exists");
                if window.queue.front().map(|w| w.id) != Some(id) {
                    // Woken by a `notify_one` stored in `turn` when we become first,
                    // even if that happens before we start waiting.
                    Step::WaitForTurn
                } else {
                    let now = Instant::now();
                    match window.next_start(limit) {
                        Some(at) if at > now => Step::SleepUntil(at),
                        _ => {
                            window.queue.pop_front();
                            window.record_start(limit, now);
                            window.wake_first();
                            Step::Started
                        }
                    }
                }
            };
            match step {
                Step::Started => {
                    place.started = true;
                    return;
                }
                // Only the first waiter's own start changes `started` while the queue
                // is not empty, so nothing can move this time earlier.
                Step::SleepUntil(at) => tokio::time::sleep_until(at).await,
                Step::WaitForTurn => turn.notified().await,
            }
        }
    }

    /// Holds back every call to `action` at `per_second` for `pause` (the
    /// service answered that the quota is spent); a longer pause already in
    /// force stays.
    pub fn pause(&self, action: &'static str, per_second: u32, pause: Duration) {
        let until = Instant::now() + pause;
        let mut windows = self.lock();
        let window = windows.entry((action, per_second.max(1))).or_default();
        window.paused_until = window.paused_until.max(Some(until));
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Window>> {
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What [`run`] saw.
    struct Run {
        /// Per call, when it started; `None`: it gave up.
        starts: Vec<Option<Instant>>,
        /// The calls in the order they called `acquire`.
        arrived: Vec<usize>,
        /// The calls that started, in the order they did.
        started: Vec<usize>,
    }

    /// Runs `calls` as tasks spawned in order, each `(action, limit, arrival, give_up_after)`:
    /// it waits until `arrival`, then acquires, giving up after `give_up_after` if given.
    async fn run(limiters: &Arc<RateLimiters>, calls: &[Call]) -> Run {
        let arrived = Rc::new(RefCell::new(Vec::new()));
        let started = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let handles: Vec<_> = calls
            .iter()
            .copied()
            .enumerate()
            .map(|(i, (action, limit, arrival, give_up))| {
                let limiters = limiters.clone();
                let (arrived, started) = (arrived.clone(), started.clone());
                local.spawn_local(async move {
                    if arrival > Instant::now() {
                        tokio::time::sleep_until(arrival).await;
                    }
                    arrived.borrow_mut().push(i);
                    let acquire = limiters.acquire(action, limit);
                    let ok = match give_up {
                        Some(d) => tokio::time::timeout(d, acquire).await.is_ok(),
                        None => {
                            acquire.await;
                            true
                        }
                    };
                    ok.then(|| {
                        started.borrow_mut().push(i);
                        Instant::now()
                    })
                })
            })
            .collect();
        let starts = local
            .run_until(async {
                let mut starts = Vec::new();
                for h in handles {
                    starts.push(h.await.unwrap());
                }
                starts
            })
            .await;
        let arrived = arrived.borrow().clone();
        let started = started.borrow().clone();
        Run {
            starts,
            arrived,
            started,
        }
    }

    fn at_once(action: &'static str, limit: u32, n: usize, t: Instant) -> Vec<Call> {
        (0..n).map(|_| (action, limit, t, None)).collect()
    }

    type Call = (&'static str, u32, Instant, Option<Duration>);

    /// Panics if some window [s, s + 1 s) holds more than `limit` of `starts`.
    fn assert_windows_hold_at_most(limit: usize, starts: &[Instant]) {
        let mut sorted = starts.to_vec();
        sorted.sort();
        for (i, s) in sorted.iter().enumerate() {
            let in_window = sorted[i..].iter().filter(|x| **x < *s + WINDOW).count();
            assert!(in_window <= limit, "window at start {i} holds {in_window}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_new_and_queued_calls_alike() {
        let limiters = Arc::new(RateLimiters::default());
        let t0 = Instant::now();
        // Two of a limit of 2 start; the third queues; then the quota is spent
        // for 3 s: the queued call and a new one wait for the pause.
        let mut calls = at_once("A", 2, 3, t0);
        calls.push(("A", 2, t0 + Duration::from_millis(500), None));
        calls.push(("B", 2, t0 + Duration::from_millis(500), None));
        let pauser = limiters.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            pauser.pause("A", 2, Duration::from_secs(3));
        });
        let run = run(&limiters, &calls).await;
        let after = |i: usize| run.starts[i].unwrap() - t0;
        assert_eq!((after(0), after(1)), (Duration::ZERO, Duration::ZERO));
        assert_eq!(after(2), Duration::from_millis(3_100));
        assert_eq!(after(3), Duration::from_millis(3_100));
        assert_eq!(
            after(4),
            Duration::from_millis(500),
            "another action is not paused"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_the_limit() {
        let limiters = Arc::new(RateLimiters::default());
        let t0 = Instant::now();
        let r = run(&limiters, &at_once("A", 100, 350, t0)).await;
        let starts: Vec<Instant> = r.starts.into_iter().map(Option::unwrap).collect();
        assert_windows_hold_at_most(100, &starts);
        // Served in order.
        assert_eq!(r.arrived, (0..350).collect::<Vec<_>>());
        assert_eq!(r.started, r.arrived);
        // And the limiter is not stricter than it must be: 300 calls fit in 2 s.
        assert_eq!(starts[99], t0);
        assert_eq!(starts[100], t0 + WINDOW);
        assert_eq!(starts[199], t0 + WINDOW);
        assert_eq!(starts[200], t0 + 2 * WINDOW);
        assert_eq!(starts[299], t0 + 2 * WINDOW);
        assert_eq!(starts[300], t0 + 3 * WINDOW);
        // Other actions are not affected.
        let now = Instant::now();
        limiters.acquire("B", 100).await;
        assert_eq!(Instant::now(), now);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_first_waiter_gives_its_slot_to_the_next() {
        let limiters = Arc::new(RateLimiters::default());
        let t0 = Instant::now();
        // Two calls fill the window; the third gives up after half a second, so the
        // fourth takes its turn at t0 + 1 s instead of t0 + 2 s.
        let mut calls = at_once("A", 2, 2, t0);
        calls.push(("A", 2, t0, Some(WINDOW / 2)));
        calls.extend(at_once("A", 2, 3, t0));
        let r = run(&limiters, &calls).await;
        let w = |s| Some(t0 + s * WINDOW);
        assert_eq!(r.starts, [w(0), w(0), None, w(1), w(1), w(2)]);
        assert_eq!(r.started, [0, 1, 3, 4, 5]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_waiter_behind_the_first_gives_its_slot_back() {
        let limiters = Arc::new(RateLimiters::default());
        let t0 = Instant::now();
        // Limit 1: calls 1, 2, 3 would start at t0 + 1 s, 2 s, 3 s. Call 2 gives up at
        // t0 + 1.5 s, while call 1 holds the window; call 3 then starts at t0 + 2 s.
        let calls = [
            ("A", 1, t0, None),
            ("A", 1, t0, None),
            ("A", 1, t0, Some(WINDOW * 3 / 2)),
            ("A", 1, t0, None),
        ];
        let r = run(&limiters, &calls).await;
        let w = |s| Some(t0 + s * WINDOW);
        assert_eq!(r.starts, [w(0), w(1), None, w(2)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_waiter_leaves_nothing_behind() {
        let limiters = RateLimiters::default();
        let t0 = Instant::now();
        limiters.acquire("A", 1).await;
        let gave_up = tokio::time::timeout(WINDOW / 4, limiters.acquire("A", 1)).await;
        assert!(gave_up.is_err());
        {
            let windows = limiters.lock();
            let window = &windows[&("A", 1)];
            assert!(window.queue.is_empty());
            assert_eq!(window.started, [t0]);
        }
        // The next call starts as soon as the window allows.
        limiters.acquire("A", 1).await;
        assert_eq!(Instant::now(), t0 + WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn limiters_are_keyed_on_action_and_limit() {
        let limiters = Arc::new(RateLimiters::default());
        let t0 = Instant::now();
        let mut calls = at_once("A", 1, 2, t0);
        // The same action with another limit has its own window, of its own limit.
        calls.extend(at_once("A", 3, 4, t0));
        // Another action with the same limit too.
        calls.extend(at_once("B", 1, 2, t0));
        let r = run(&limiters, &calls).await;
        let w = |s| Some(t0 + s * WINDOW);
        assert_eq!(r.starts, [w(0), w(1), w(0), w(0), w(0), w(1), w(0), w(1)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_limit_means_one_per_second() {
        let limiters = Arc::new(RateLimiters::default());
        let t0 = Instant::now();
        let mut calls = at_once("A", 0, 2, t0);
        calls.extend(at_once("A", 1, 1, t0));
        let r = run(&limiters, &calls).await;
        let w = |s| Some(t0 + s * WINDOW);
        assert_eq!(r.starts, [w(0), w(1), w(2)]);
    }

    /// A deterministic pseudo-random sequence (an LCG; the high bits are used).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    #[tokio::test(start_paused = true)]
    async fn random_cancellations_keep_the_window_and_the_order() {
        let mut rng = Lcg(0x5EED_0F11_A1E5);
        let mut cancelled = 0;
        for round in 0..100 {
            let limit = 1 + rng.below(6) as u32;
            let n = 5 + rng.below(40) as usize;
            let t0 = Instant::now();
            let calls: Vec<Call> = (0..n)
                .map(|_| {
                    let arrival = t0 + Duration::from_millis(rng.below(4000));
                    let give_up =
                        (rng.below(3) == 0).then(|| Duration::from_millis(1 + rng.below(3000)));
                    ("A", limit, arrival, give_up)
                })
                .collect();
            let limiters = Arc::new(RateLimiters::default());
            let r = run(&limiters, &calls).await;
            cancelled += r.starts.iter().filter(|s| s.is_none()).count();

            let times: Vec<Instant> = r.started.iter().map(|&i| r.starts[i].unwrap()).collect();
            // No window holds more than the limit.
            assert_windows_hold_at_most(limit as usize, &times);
            // Served in order: the calls that started did so in the order they came...
            let came: Vec<usize> = r
                .arrived
                .iter()
                .copied()
                .filter(|&i| r.starts[i].is_some())
                .collect();
            assert_eq!(r.started, came, "round {round}");
            // ...and each as early as the calls that really started allow: every
            // cancelled call gave its slot back.
            let limit = limit as usize;
            for (k, &i) in r.started.iter().enumerate() {
                let mut expected = calls[i].2;
                if k > 0 {
                    expected = expected.max(times[k - 1]);
                }
                if k >= limit {
                    expected = expected.max(times[k - limit] + WINDOW);
                }
                assert_eq!(times[k], expected, "round {round}, call {i}");
            }
            // Nothing is left queued.
            assert!(limiters.lock().values().all(|w| w.queue.is_empty()));
        }
        // The rounds did cancel calls that were waiting.
        assert!(cancelled > 100, "{cancelled}");
    }
}
