//! Operation-agnostic machinery for Alibaba Cloud RPC-style APIs.
//!
//! Owns configuration (region, endpoint, timeouts, format, signature version),
//! the credentials chain, transport (reqwest over rustls), retries, the client-side
//! rate limiter, JSON and XML response decoding and the error types. It executes an
//! operation described by data ([`Operation`] plus parameters in wire form) and
//! knows nothing of any particular product: generated crates such as `aliyun-vod`
//! supply the descriptions. It must not grow product-specific code.
//!
//! Generated code describes a product and each operation as statics (an
//! [`Operation`]: action, methods, retry safety, QPS class, parameter table,
//! output shape); typed inputs go through [`Client::send`], anything else that
//! holds parameters by wire name through [`params::encode`] and
//! [`Client::invoke`]:
//!
//! ```no_run
//! use aliyun_runtime::operation::{ListRules, Operation, Param, Ty};
//! use aliyun_runtime::{Client, Config, Credentials, HttpMethod, Product};
//!
//! static PRODUCT: Product = Product {
//!     code: "vod",
//!     version: "2017-03-21",
//!     endpoints: &[("cn-shanghai", "vod.cn-shanghai.aliyuncs.com")],
//!     default_region: "cn-shanghai",
//! };
//! static JOB_IDS: ListRules = ListRules::of(Ty::String(aliyun_runtime::operation::StringRules::ANY)).max_items(10);
//! static OP: Operation = Operation {
//!     action: "GetURLUploadInfos",
//!     methods: &[HttpMethod::Post, HttpMethod::Get],
//!     retry_safe: true,
//!     anonymous: false,
//!     qps_limit: Some(100),
//!     params: &[Param::new("JobIds", Ty::List(&JOB_IDS))],
//!     groups: &[],
//!     output: &aliyun_runtime::shape::Shape::Object(&[aliyun_runtime::shape::Field {
//!         name: "RequestId",
//!         shape: &aliyun_runtime::shape::Shape::String,
//!     }]),
//!     pages: None,
//!     regions: &[],
//! };
//!
//! // Read from the body normalized by `OP.output` (see `normalize`).
//! #[derive(serde::Deserialize)]
//! struct Out {
//!     #[serde(rename = "RequestId", default)]
//!     request_id: String,
//! }
//!
//! # async fn demo() -> Result<(), aliyun_runtime::Error> {
//! let client = Client::new(
//!     &PRODUCT,
//!     Config::new()
//!         .endpoint("http://127.0.0.1:8080")
//!         .credentials(Credentials::new("LTAI5tExample", "example-secret")),
//! )?;
//! let input = serde_json::json!({ "JobIds": ["a1", "b2"] });
//! let out: Out = client.send(&OP, &input).await?;
//! println!("{}", out.request_id);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

// Lets the STS code generated into this crate name it as every product
// crate does (`::aliyun_runtime::...`).
extern crate self as aliyun_runtime;

mod client;
mod config;
pub mod credentials;
pub mod decode;
mod diagnose;
mod endpoint;
mod error;
pub mod normalize;
pub mod operation;
pub mod pages;
pub mod params;
mod prepare;
mod rate_limit;
mod retry;
pub mod shape;
#[cfg(feature = "redis")]
mod shared_limit;
pub mod sts;
mod transport;
pub mod validate;

pub use client::Client;
pub use config::{Clock, Config, Format, HttpMethod, RetryConfig, SignatureVersion};
pub use credentials::{Credentials, ProvideCredentials};
pub use decode::{decode_output, decode_service_error, decode_value, Response};
pub use endpoint::Product;
pub use error::{DecodeError, Error, Rule, ServiceError, ValidationError};
pub use operation::Operation;
pub use params::WireParams;
pub use prepare::{redact_sensitive, PreparedRequest};
pub use rate_limit::RateLimiters;
#[cfg(feature = "redis")]
pub use shared_limit::{RedisLimiter, RedisLimiterSettings};
pub use transport::MAX_RESPONSE_BYTES;

// Re-exported so generated code and helpers depend on this crate (and serde) only.
pub use aliyun_sign::{percent_decode, percent_encode};
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
