//! Applies [`ColumnOptions`] to rows that were built for the default columns.
//!
//! [`crate::export`] builds its rows with [`ColumnSet::new`]: every column,
//! dates in UTC. A [`ColumnProjection`] picks, orders and renames those
//! columns as the options set them, matching them by key, so a preview or a CSV
//! export can follow the user's choice without changing how pages are read.
//!
//! NOTE: once `crate::export` builds its rows with
//! [`ColumnSet::with_options`], the rows already come in the chosen layout
//! and this bridge can go.

use std::collections::HashSet;

use super::{CellValue, Column, ColumnChange, ColumnOptions, ColumnSet, CUSTOM_FIELD_KEY_PREFIX};

/// The chosen columns over a growing list of default columns.
#[derive(Debug, Clone)]
pub struct ColumnProjection {
    set: ColumnSet,
    /// For each chosen column, its position in the source columns, if there.
    sources: Vec<Option<usize>>,
}

impl ColumnProjection {
    /// Starts with the columns that `options` names and no source columns.
    pub fn new(options: &ColumnOptions) -> Self {
        let set = ColumnSet::with_options(options);
        let sources = vec![None; set.columns().len()];
        ColumnProjection { set, sources }
    }

    /// Takes the full, current list of source columns. Custom fields not seen
    /// before are appended when the choice takes them, and custom columns
    /// take the kind of their source column.
    pub fn update(&mut self, source: &[Column]) -> ColumnChange {
        let mut change = ColumnChange {
            added: 0,
            kinds_changed: false,
        };
        for column in source {
            let Some(field) = column.key.strip_prefix(CUSTOM_FIELD_KEY_PREFIX) else {
                continue;
            };
            match self.set.custom.get(field) {
                Some(&(position, _)) => {
                    let chosen = &mut self.set.columns[position];
                    change.kinds_changed |= chosen.kind != column.kind;
                    chosen.kind = column.kind;
                }
                None if self.set.accepts_new_custom_field(field) => {
                    self.set
                        .add_custom_column(field, HashSet::from([column.kind]));
                    change.added += 1;
                }
                None => {}
            }
        }

        self.sources = self
            .set
            .columns()
            .iter()
            .map(|chosen| source.iter().position(|column| column.key == chosen.key))
            .collect();
        change
    }

    /// Returns the chosen columns so far.
    pub fn columns(&self) -> &[Column] {
        self.set.columns()
    }

    /// Builds the chosen row from a source row. A cell whose column is not
    /// among the source columns, or lies past the end of a short row, is empty.
    pub fn project(&self, row: &[CellValue]) -> Vec<CellValue> {
        self.sources
            .iter()
            .map(|source| {
                source
                    .and_then(|index| row.get(index))
                    .cloned()
                    .unwrap_or(CellValue::Empty)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{ColumnChoice, ColumnKind, OTHER_CUSTOM_FIELDS_KEY};
    use crate::devrev::models::Account;
    use crate::time_zone::ExportTimeZone;
    use chrono::FixedOffset;
    use serde_json::json;

    fn account(custom_fields: serde_json::Value) -> Account {
        Account {
            id: "A-1".into(),
            display_name: Some("Acme".into()),
            tier: Some("Gold".into()),
            custom_fields: custom_fields.as_object().cloned().unwrap(),
            ..Default::default()
        }
    }

    fn options(list: &str) -> ColumnOptions {
        ColumnOptions {
            choice: ColumnChoice::parse_list(list).unwrap(),
            ..ColumnOptions::default()
        }
    }

    fn keys(columns: &[Column]) -> Vec<&str> {
        columns.iter().map(|column| column.key.as_str()).collect()
    }

    #[test]
    fn picks_and_orders_columns() {
        let mut source = ColumnSet::new();
        let accounts = [account(json!({"tnt__region": "EMEA"}))];
        source.observe(&accounts);
        let mut projection = ColumnProjection::new(&options("tier,display_name,id"));

        projection.update(source.columns());
        let row = projection.project(&source.rows(&accounts)[0]);

        assert_eq!(keys(projection.columns()), ["tier", "display_name", "id"]);
        assert_eq!(
            row,
            [
                CellValue::Text("Gold".into()),
                CellValue::Text("Acme".into()),
                CellValue::Text("A-1".into())
            ]
        );
    }

    #[test]
    fn late_custom_fields_append_after_named_ones() {
        let mut source = ColumnSet::new();
        let mut projection = ColumnProjection::new(&options(&format!(
            "custom_fields.tnt__named,display_name,{OTHER_CUSTOM_FIELDS_KEY}"
        )));
        let first = [account(json!({"tnt__b": 1}))];
        let second = [account(json!({"tnt__a": "x", "tnt__named": true}))];

        source.observe(&first);
        let change_one = projection.update(source.columns());
        source.observe(&second);
        let change_two = projection.update(source.columns());
        let row = projection.project(&source.rows(&second)[0]);

        assert_eq!(change_one.added, 1);
        assert_eq!(change_two.added, 1);
        assert!(change_two.kinds_changed);
        assert_eq!(
            keys(projection.columns()),
            [
                "custom_fields.tnt__named",
                "display_name",
                "custom_fields.tnt__b",
                "custom_fields.tnt__a"
            ]
        );
        assert_eq!(projection.columns()[0].kind, ColumnKind::Bool);
        assert_eq!(
            row,
            [
                CellValue::Bool(true),
                CellValue::Text("Acme".into()),
                CellValue::Empty,
                CellValue::Text("x".into())
            ]
        );
    }

    #[test]
    fn hidden_and_unlisted_custom_fields_left_out() {
        let mut source = ColumnSet::new();
        source.observe(&[account(json!({"tnt__secret": 1, "tnt__open": 2}))]);
        let choice = ColumnChoice::new(
            vec!["display_name".into(), OTHER_CUSTOM_FIELDS_KEY.into()],
            vec!["custom_fields.tnt__secret".into()],
        )
        .unwrap();
        let mut with_hidden = ColumnProjection::new(&ColumnOptions {
            choice,
            ..ColumnOptions::default()
        });
        let mut without_other = ColumnProjection::new(&options("display_name"));

        with_hidden.update(source.columns());
        without_other.update(source.columns());

        assert_eq!(
            keys(with_hidden.columns()),
            ["display_name", "custom_fields.tnt__open"]
        );
        assert_eq!(keys(without_other.columns()), ["display_name"]);
    }

    #[test]
    fn date_headers_name_the_zone() {
        let zone = ExportTimeZone::local_with_offset(FixedOffset::east_opt(3600).unwrap());
        let projection = ColumnProjection::new(&ColumnOptions {
            choice: ColumnChoice::parse_list("created_date,modified_date").unwrap(),
            time_zone: zone,
            ..ColumnOptions::default()
        });

        let headers: Vec<&str> = projection
            .columns()
            .iter()
            .map(|column| column.header.as_str())
            .collect();

        assert_eq!(headers, ["Created (UTC+01:00)", "Modified (UTC+01:00)"]);
    }

    #[test]
    fn short_rows_give_empty_cells() {
        let mut projection = ColumnProjection::new(&options("display_name,tier"));
        let source = ColumnSet::new();
        projection.update(source.columns());

        let row = projection.project(&[CellValue::Empty, CellValue::Text("Acme".into())]);

        assert_eq!(row, [CellValue::Text("Acme".into()), CellValue::Empty]);
    }
}
