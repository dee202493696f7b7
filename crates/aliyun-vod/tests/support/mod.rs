//! The verifying test server is shared with `aliyun-runtime`'s tests; see there.
#![allow(dead_code, unused_imports)]

#[path = "../../../aliyun-runtime/tests/support/mod.rs"]
mod server;

pub use server::*;
