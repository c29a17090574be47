//! Log set-up for the app and the command line.
//!
//! Logs go to a daily file in the app's log folder (see
//! [`crate::settings::log_dir`]). The level comes from the `DEVREV_EXPORT_LOG`
//! environment variable in `tracing` filter syntax (default `info`). Nothing
//! logs the token: the client logs endpoint, status and timing only.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Environment variable that sets the log level, such as `debug` or `warn`.
pub const LOG_LEVEL_ENV: &str = "DEVREV_EXPORT_LOG";

/// Levels that `DEVREV_EXPORT_LOG` accepts.
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Returns the level set in `DEVREV_EXPORT_LOG`, or `info`. An unknown value
/// is reported on standard error instead of silently logging nothing, which
/// is what `tracing` does with a word it reads as a module name.
fn log_level() -> String {
    let Ok(value) = std::env::var(LOG_LEVEL_ENV) else {
        return "info".to_owned();
    };
    let level = value.trim().to_ascii_lowercase();
    if LEVELS.contains(&level.as_str()) {
        return level;
    }
    eprintln!(
        "warning: {LOG_LEVEL_ENV}={value:?} is not a log level, so `info` is used. Use one of: {}.",
        LEVELS.join(", ")
    );
    "info".to_owned()
}

/// Starts logging to the log folder. Keep the returned guard alive until the
/// program ends: dropping it flushes the file. Returns `None` when no log
/// folder can be created; the program then runs without a log file.
pub fn init() -> Option<WorkerGuard> {
    let dir = crate::settings::log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;

    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("devrev-accounts-export")
        .filename_suffix("log")
        .max_log_files(14)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);

    let filter = EnvFilter::new(log_level());
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .is_ok();
    installed.then_some(guard)
}
