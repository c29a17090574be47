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

    let filter = EnvFilter::try_from_env(LOG_LEVEL_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .is_ok();
    installed.then_some(guard)
}
