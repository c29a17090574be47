//! Applies the user's column choice and time zone to a preview or export that
//! [`crate::export`] runs with the default columns.
//!
//! [`ChosenColumnsSink`] sits between [`crate::export::preview`] and the real
//! consumer (the window's grid or the CSV writer) and passes on only the
//! chosen columns, in the chosen order, with the zone in date headers.
//!
//! NOTE: this bridge exists because `crate::export` builds rows with
//! `ColumnSet::new()`. Once it takes [`ColumnOptions`] and builds rows with
//! `ColumnSet::with_options`, consumers can take its rows directly.

use std::sync::Mutex;

use crate::columns::{CellValue, Column, ColumnOptions, ColumnProjection};
use crate::export::{PreviewSink, Progress};

/// A [`PreviewSink`] that projects columns and rows onto the chosen columns
/// before handing them to another sink.
pub struct ChosenColumnsSink<'a> {
    inner: &'a dyn PreviewSink,
    state: Mutex<ProjectionState>,
}

struct ProjectionState {
    projection: ColumnProjection,
    /// Whether `inner` has received a column list yet.
    columns_sent: bool,
}

impl<'a> ChosenColumnsSink<'a> {
    /// Wraps `inner`, which then receives the columns that `options` chooses.
    pub fn new(inner: &'a dyn PreviewSink, options: &ColumnOptions) -> Self {
        ChosenColumnsSink {
            inner,
            state: Mutex::new(ProjectionState {
                projection: ColumnProjection::new(options),
                columns_sent: false,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ProjectionState> {
        // A panic in another sink call cannot leave the projection half-updated
        // in a way that matters, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PreviewSink for ChosenColumnsSink<'_> {
    fn columns(&self, columns: &[Column]) {
        let chosen = {
            let mut state = self.state();
            let change = state.projection.update(columns);
            if state.columns_sent && !change.any() {
                return;
            }
            state.columns_sent = true;
            state.projection.columns().to_vec()
        };
        self.inner.columns(&chosen);
    }

    fn rows(&self, rows: Vec<Vec<CellValue>>) {
        let projected = {
            let state = self.state();
            rows.iter()
                .map(|row| state.projection.project(row))
                .collect()
        };
        self.inner.rows(projected);
    }

    fn progress(&self, progress: Progress) {
        self.inner.progress(progress);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{ColumnChoice, ColumnSet};
    use crate::devrev::models::Account;
    use serde_json::json;

    #[derive(Default)]
    struct Collected {
        column_lists: Mutex<Vec<Vec<String>>>,
        rows: Mutex<Vec<Vec<CellValue>>>,
        progress: Mutex<usize>,
    }

    impl PreviewSink for Collected {
        fn columns(&self, columns: &[Column]) {
            let keys = columns.iter().map(|column| column.key.clone()).collect();
            self.column_lists.lock().unwrap().push(keys);
        }

        fn rows(&self, rows: Vec<Vec<CellValue>>) {
            self.rows.lock().unwrap().extend(rows);
        }

        fn progress(&self, _progress: Progress) {
            *self.progress.lock().unwrap() += 1;
        }
    }

    fn progress() -> Progress {
        Progress {
            accounts: 1,
            pages: 1,
            elapsed_ms: 1,
            accounts_per_second: 1,
            duplicates_dropped: 0,
        }
    }

    #[test]
    fn passes_chosen_columns_once_until_they_change() {
        let collected = Collected::default();
        let options = ColumnOptions {
            choice: ColumnChoice::parse_list("display_name,custom_fields.*").unwrap(),
            ..ColumnOptions::default()
        };
        let sink = ChosenColumnsSink::new(&collected, &options);
        let mut source = ColumnSet::new();
        let account = Account {
            id: "A-1".into(),
            display_name: Some("Acme".into()),
            custom_fields: json!({"tnt__x": 1}).as_object().cloned().unwrap(),
            ..Default::default()
        };

        sink.columns(source.columns());
        sink.columns(source.columns());
        source.observe(std::slice::from_ref(&account));
        sink.columns(source.columns());
        sink.rows(source.rows(&[account]));
        sink.progress(progress());

        assert_eq!(
            *collected.column_lists.lock().unwrap(),
            [
                vec!["display_name".to_owned()],
                vec!["display_name".to_owned(), "custom_fields.tnt__x".to_owned()]
            ]
        );
        assert_eq!(
            *collected.rows.lock().unwrap(),
            [vec![CellValue::Text("Acme".into()), CellValue::Number(1.0)]]
        );
        assert_eq!(*collected.progress.lock().unwrap(), 1);
    }
}
