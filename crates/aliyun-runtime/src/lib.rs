//! Operation-agnostic machinery for Alibaba Cloud RPC-style APIs.
//!
//! Owns configuration (region, endpoint, timeouts, format, signature version),
//! the credentials chain, transport (reqwest over rustls), retries, the client-side
//! rate limiter, JSON and XML response decoding and the error types. It executes an
//! operation described by data ([`OperationMeta`] plus parameters in wire form) and
//! knows nothing of any particular product: generated crates such as `aliyun-vod`
//! supply the descriptions. It must not grow product-specific code.

#![deny(missing_docs)]

mod client;
mod config;
pub mod credentials;
pub mod de;
mod error;
mod rate_limit;
pub mod ser;
pub mod shape;
pub mod validate;

pub use client::{
    decode_output, decode_service_error, Client, Operation, OperationMeta, Output, PreparedRequest,
    Product,
};
pub use config::{Clock, Config, Format, HttpMethod, RetryConfig, SignatureVersion};
pub use credentials::{Credentials, ProvideCredentials};
pub use error::{DecodeError, Error, Rule, ServiceError, ValidationError};
pub use rate_limit::RateLimiters;

// Re-exported so generated code depends on this crate (and serde) only.
pub use serde_json;
pub use time;

/// Parses a time as the API spells it (`yyyy-MM-ddTHH:mm:ssZ`, or any RFC 3339
/// time), for the typed accessors of generated time fields.
pub fn parse_time(text: &str) -> Result<time::OffsetDateTime, time::error::Parse> {
    let t = text.trim();
    match aliyun_sign::Timestamp::parse(t) {
        Ok(ts) => Ok(ts.to_datetime()),
        Err(_) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339),
    }
}
