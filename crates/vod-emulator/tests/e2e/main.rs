//! End-to-end tests of the emulator over real HTTP on loopback: requests are
//! signed with `aliyun-sign` and sent with reqwest; sources are served by a
//! tiny local server.

mod auth;
mod durability;
mod faults;
mod support;
mod upload;
