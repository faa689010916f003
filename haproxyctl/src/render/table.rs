//! Plain tables (kubectl-like: no borders, upper-case headers) that fit the terminal: low-priority
//! columns are dropped first, then long cells wrap.

use std::io::IsTerminal;

use comfy_table::{
    presets, Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table,
};

pub use comfy_table::Color;

/// A column; `drop_order` 0 = always kept, otherwise lower numbers are dropped first when narrow.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub right: bool,
    pub drop_order: u8,
}

impl Column {
    pub const fn left(name: &'static str, drop_order: u8) -> Column {
        Column {
            name,
            right: false,
            drop_order,
        }
    }

    pub const fn right(name: &'static str, drop_order: u8) -> Column {
        Column {
            name,
            right: true,
            drop_order,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Styled {
    pub text: String,
    pub colour: Option<Color>,
    /// Drawn reversed (a state that just changed in `watch`).
    pub emphasis: bool,
}

impl From<String> for Styled {
    fn from(text: String) -> Styled {
        Styled {
            text,
            ..Styled::default()
        }
    }
}

impl From<&str> for Styled {
    fn from(text: &str) -> Styled {
        Styled::from(text.to_string())
    }
}

/// Width to fit: the terminal's when stdout is one, else `$COLUMNS` if set, else unbounded
/// (a pipe into a file or `grep` should get whole lines).
pub fn target_width() -> Option<u16> {
    if std::io::stdout().is_terminal() {
        if let Ok((w, _)) = crossterm::terminal::size() {
            return Some(w);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= 20)
}

const CELL_PADDING: usize = 2;

fn natural_width(columns: &[Column], rows: &[Vec<Styled>], keep: &[bool]) -> usize {
    (0..columns.len())
        .filter(|&i| keep[i])
        .map(|i| {
            let cells = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.text.lines().map(|l| l.chars().count()).max().unwrap_or(0));
            cells.max().unwrap_or(0).max(columns[i].name.len()) + CELL_PADDING
        })
        .sum()
}

/// Which columns to keep so `rows` fit in `width`: lowest `drop_order` goes first.
pub fn fit(columns: &[Column], rows: &[Vec<Styled>], width: Option<u16>) -> Vec<bool> {
    let mut keep = vec![true; columns.len()];
    if let Some(w) = width {
        let mut order: Vec<usize> = (0..columns.len())
            .filter(|&i| columns[i].drop_order > 0)
            .collect();
        order.sort_by_key(|&i| columns[i].drop_order);
        for i in order {
            if natural_width(columns, rows, &keep) <= usize::from(w) {
                break;
            }
            keep[i] = false;
        }
    }
    keep
}

/// Renders rows under `columns` (those marked in `keep`), wrapped to `width` if given; each line
/// ends with `\n`.
pub fn render(
    columns: &[Column],
    rows: &[Vec<Styled>],
    keep: &[bool],
    colour: bool,
    width: Option<u16>,
) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    if colour {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    match width {
        Some(w) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(w);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table.set_header(columns.iter().map(|c| Cell::new(c.name)));
    for r in rows {
        table.add_row(r.iter().map(|s| {
            let mut cell = Cell::new(&s.text);
            if colour {
                if let Some(c) = s.colour {
                    cell = cell.fg(c);
                }
                if s.emphasis {
                    cell = cell.add_attribute(Attribute::Reverse);
                }
            }
            cell
        }));
    }
    for (i, col) in columns.iter().enumerate() {
        if let Some(column) = table.column_mut(i) {
            if col.right {
                column.set_cell_alignment(CellAlignment::Right);
            }
            if !keep.get(i).copied().unwrap_or(true) {
                column.set_constraint(ColumnConstraint::Hidden);
            }
        }
    }
    let mut out = String::new();
    for line in table.lines() {
        // The NOTHING preset pads the last column with spaces; trailing blanks only hurt diffs.
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_width_drops_low_priority_columns_first() {
        let cols = [
            Column::left("NAME", 0),
            Column::left("DETAIL", 2),
            Column::right("EXTRA", 1),
        ];
        let rows = vec![vec![
            Styled::from("web1"),
            Styled::from("a fairly long detail"),
            Styled::from("123456789"),
        ]];
        let wide = render(&cols, &rows, &fit(&cols, &rows, None), false, None);
        assert!(wide.contains("EXTRA") && wide.contains("DETAIL"));
        let narrow = render(&cols, &rows, &fit(&cols, &rows, Some(32)), false, Some(32));
        assert!(
            !narrow.contains("EXTRA") && narrow.contains("DETAIL"),
            "{narrow}"
        );
        assert!(narrow.lines().all(|l| l.chars().count() <= 32));
    }
}
