//! Cross-crate end-to-end tests live in `tests/tests/`: the SDK (`aliyun-vod`
//! over `aliyun-runtime`) against the emulator (`vod-emulator`), over real
//! HTTP on 127.0.0.1. The `vod` binary's end-to-end tests live in
//! `crates/vod-cli/tests/`, the only place Cargo builds the binary for them
//! (`CARGO_BIN_EXE_vod`). This crate has no code of its own.
