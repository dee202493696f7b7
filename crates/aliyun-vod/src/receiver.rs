//! An axum endpoint for VOD's event callbacks (feature `receiver`): it
//! verifies each POST ([`crate::callback::verify`]), reads the event
//! ([`crate::events::parse`]) and hands it to your function. VOD retries a
//! callback that does not get 200 (twice), so the endpoint answers 200 only
//! for a verified event your function accepted, 401 for one that does not
//! verify, 400 for a body that is not an event, and 500 when your function
//! fails (so VOD sends it again).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use aliyun_vod::callback::CallbackKey;
//! use aliyun_vod::receiver::{router, Receiver};
//!
//! let receiver = Receiver::new("https://example.com/vod/events", CallbackKey::new("key"));
//! let app = router(receiver, |received| async move {
//!     println!("{:?}", received.event);
//!     Ok::<(), String>(())
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

use crate::callback::{self, CallbackKey};
use crate::events::Received;

/// What the endpoint checks callbacks against.
#[derive(Clone, Debug)]
pub struct Receiver {
    url: String,
    keys: Vec<CallbackKey>,
    max_skew: i64,
}

impl Receiver {
    /// Callbacks to `callback_url` (exactly as configured in VOD), signed with
    /// `key`; a timestamp may be 300 s from the receiver's clock.
    pub fn new(callback_url: impl Into<String>, key: CallbackKey) -> Self {
        Receiver {
            url: callback_url.into(),
            keys: vec![key],
            max_skew: 300,
        }
    }

    /// Also accepts a second key (while the key is being rotated).
    pub fn with_second_key(mut self, key: CallbackKey) -> Self {
        self.keys.push(key);
        self
    }

    /// The clock skew allowed, seconds.
    pub fn with_max_skew(mut self, seconds: i64) -> Self {
        self.max_skew = seconds;
        self
    }

    /// Verifies and reads one callback: the status to answer, and the event
    /// when it verified.
    pub fn check(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<Received, StatusCode> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let keys: Vec<&CallbackKey> = self.keys.iter().collect();
        callback::verify_event(
            &self.url,
            header("x-vod-timestamp"),
            header("x-vod-signature"),
            body,
            &keys,
            now,
            self.max_skew,
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "callback refused");
            match e {
                callback::CallbackError::NotAnEvent(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::UNAUTHORIZED,
            }
        })
    }
}

/// A router answering POST `/` (and any path, as configured in VOD) with
/// `handle` for every verified event.
pub fn router<F, Fut, E>(receiver: Receiver, handle: F) -> Router
where
    F: Fn(Received) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let state = Arc::new((receiver, handle));
    let endpoint = |State(state): State<Arc<(Receiver, F)>>, headers: HeaderMap, body: Bytes| async move {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let received = match state.0.check(&headers, &body, now) {
            Ok(r) => r,
            Err(status) => return status,
        };
        match (state.1)(received).await {
            Ok(()) => StatusCode::OK,
            Err(e) => {
                tracing::warn!(error = %e, "the event handler failed; VOD will send it again");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    };
    Router::new()
        .route("/", post(endpoint))
        .route("/{*path}", post(endpoint))
        .with_state(state)
}
