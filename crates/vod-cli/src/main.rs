//! The `vod` command (being written).

#[rustfmt::skip]
mod generated {
    pub mod commands;
}
mod ops;

fn main() {
    let _ = generated::commands::commands();
}
