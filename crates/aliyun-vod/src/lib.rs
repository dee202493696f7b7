//! A typed client for Alibaba Cloud ApsaraVideo VOD, API version 2017-03-21.
//!
//! Operation modules (`get_url_upload_infos`, `upload_media_by_url`, ... one per
//! operation, each with the types only it uses; a `types` module appears when
//! operations share one) and the [`Client`]'s methods are generated from `spec/` by
//! `cargo xtask codegen`; this file and the helpers are hand-written. The crate
//! holds no transport code: [`aliyun_runtime`] signs, sends, retries and decodes.
//!
//! Operations come in groups, one cargo feature each, all on by default:
//! `upload`, `playback`, `media`, `processing`, `editing`, `audit`, `ai`,
//! `live-record`, `cdn`, `security`, `stats`, `apps`, `config` (the sections of
//! VOD's API reference). A service that only uploads and plays depends on
//! `aliyun-vod` with `default-features = false, features = ["upload",
//! "playback"]` and compiles only those operations.
//!
//! Hand-written helpers compose the generated operations (feature `upload`):
//! - [`batch`]: `GetURLUploadInfos` for any number of job IDs or URLs
//!   ([`Client::get_url_upload_infos_by_job_ids`]), split into calls of at most 10
//!   and merged in input order;
//! - [`waiter`]: wait until upload jobs finish ([`waiter::wait_for_jobs`]), with
//!   progress reports and an overall timeout.
//!
//! ```no_run
//! # async fn demo() -> Result<(), aliyun_vod::Error> {
//! use aliyun_vod::{Client, Config};
//!
//! // Credentials from the environment or profiles; region cn-shanghai.
//! let client = Client::new(Config::new().region("cn-shanghai"))?;
//! let out = client.get_url_upload_infos().job_ids(["86c1925fba0a", "7afb201e7fa1"]).send().await?;
//! for info in &out.url_upload_info_list {
//!     println!("{:?} {:?} {:?}", info.job_id, info.status, info.file_size);
//! }
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

#[rustfmt::skip]
mod generated;

pub mod callback;
pub mod events;
#[cfg(feature = "receiver")]
pub mod receiver;
pub mod url_signing;

#[cfg(feature = "upload")]
pub mod batch;
#[cfg(feature = "upload")]
pub mod upload;
#[cfg(feature = "upload")]
pub mod upload_grant;
#[cfg(feature = "upload")]
pub mod waiter;

pub use generated::*;

pub use aliyun_runtime as runtime;
pub use aliyun_runtime::{
    Config, Credentials, Error, Format, HttpMethod, Operation, RetryConfig, Rule, ServiceError,
    SignatureVersion, ValidationError,
};
#[cfg(feature = "redis")]
pub use aliyun_runtime::{RedisLimiter, RedisLimiterSettings};

/// A VOD client. Cheap to clone (clones share one connection pool and one rate
/// limiter); `Send + Sync`. Each operation is a method returning a builder.
#[derive(Clone, Debug)]
pub struct Client {
    runtime: aliyun_runtime::Client,
}

impl Client {
    /// A client for VOD with the given configuration. Fails on an unknown region
    /// or a malformed endpoint; credentials are resolved on the first call.
    pub fn new(config: Config) -> Result<Self, Error> {
        Ok(Client {
            runtime: aliyun_runtime::Client::new(&product::PRODUCT, config)?,
        })
    }

    /// The runtime client underneath (signing, transport, retries).
    pub fn runtime(&self) -> &aliyun_runtime::Client {
        &self.runtime
    }
}
