// Hide the console window of release builds on Windows. The command line then
// prints nothing there.
// TODO: attach to the parent console on Windows so `export` can print.
#![cfg_attr(
    all(not(debug_assertions), target_os = "windows"),
    windows_subsystem = "windows"
)]

/// See the note on `mimalloc` in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    devrev_export::cli::main()
}
