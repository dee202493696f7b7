//! Security Token Service (STS, API 2015-04-01): the calls the credential
//! providers make (`AssumeRole`, `AssumeRoleWithOIDC`).
//!
//! The operation modules and the [`Client`]'s methods are generated from
//! `spec/sts/2015-04-01` by `cargo xtask codegen`, by the same generator as
//! the product crates, and go through the same request pipeline: signed with
//! RPC V1 by `aliyun-sign` (`AssumeRoleWithOIDC` is anonymous: the OIDC token
//! is its proof), sent, retried and decoded by this crate.

#[rustfmt::skip]
mod generated;

pub use generated::*;

use crate::config::Config;
use crate::error::Error;

/// An STS client. Cheap to clone; `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Client {
    runtime: crate::Client,
}

impl Client {
    /// A client for STS with the given configuration (its endpoint: see
    /// [`crate::credentials`] for how the providers choose it).
    pub fn new(config: Config) -> Result<Self, Error> {
        Ok(Client {
            runtime: crate::Client::new(&product::PRODUCT, config)?,
        })
    }

    /// The runtime client underneath.
    pub fn runtime(&self) -> &crate::Client {
        &self.runtime
    }
}
