//! Operation-agnostic machinery for Alibaba Cloud RPC-style APIs.
//!
//! Owns configuration (region, endpoint, timeouts, format, signature version),
//! the credentials chain, transport (reqwest over rustls), retries, the client-side
//! rate limiter, JSON and XML response decoding and the error types. It executes an
//! operation described by data ([`OperationMeta`] plus parameters in wire form) and
//! knows nothing of any particular product: generated crates such as `aliyun-vod`
//! supply the descriptions. It must not grow product-specific code.
//!
//! Generated code describes a product and its operations as statics and calls
//! [`Client::execute`] (or [`Client::send`] with an [`Operation`] input):
//!
//! ```no_run
//! use aliyun_runtime::{Client, Config, Credentials, OperationMeta, Product};
//!
//! static PRODUCT: Product = Product {
//!     code: "vod",
//!     version: "2017-03-21",
//!     endpoints: &[("cn-shanghai", "vod.cn-shanghai.aliyuncs.com")],
//!     default_region: "cn-shanghai",
//! };
//! static META: OperationMeta = OperationMeta {
//!     action: "GetURLUploadInfos",
//!     retry_safe: true,
//!     qps_limit: Some(100),
//! };
//!
//! #[derive(serde::Deserialize)]
//! struct Out {
//!     #[serde(rename = "RequestId", default, deserialize_with = "aliyun_runtime::de::string")]
//!     request_id: String,
//! }
//! impl aliyun_runtime::Output for Out {
//!     const SHAPE: &'static aliyun_runtime::shape::Shape = &aliyun_runtime::shape::Shape::Object(&[]);
//! }
//!
//! # async fn demo() -> Result<(), aliyun_runtime::Error> {
//! let client = Client::new(
//!     &PRODUCT,
//!     Config::new()
//!         .endpoint("http://127.0.0.1:8080")
//!         .credentials(Credentials::new("LTAI5tExample", "example-secret")),
//! )?;
//! let out: Out = client.execute(&META, vec![("JobIds", "a1,b2".to_owned())]).await?;
//! println!("{}", out.request_id);
//! # Ok(()) }
//! ```

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
    Product, MAX_RESPONSE_BYTES,
};
pub use config::{Clock, Config, Format, HttpMethod, RetryConfig, SignatureVersion};
pub use credentials::{Credentials, ProvideCredentials};
pub use error::{DecodeError, Error, Rule, ServiceError, ValidationError};
pub use rate_limit::RateLimiters;

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
