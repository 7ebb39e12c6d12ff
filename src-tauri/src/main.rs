// The desktop entry point; everything lives in the library so mobile builds share it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The embedded world's allocator, as `idn world serve`'s (see the workspace's Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    idn_sandbox_app::run();
}
