//! `;csv`, `;json` and `;typed`: the stats socket's `show stat` renderers over the same rows,
//! framed for HTTP (no blank line after the CSV, unlike the socket).

use runtime_api::csv;
use runtime_api::row::StatRow;

use super::uri::Format;

/// Body and content type for one export format; `None` for the HTML page.
pub fn render(format: Format, rows: &[StatRow]) -> Option<(String, &'static str)> {
    if format == Format::Html {
        return None;
    }
    let mut out = String::with_capacity(rows.len() * 700 + 2048);
    match format {
        Format::Html => None,
        Format::Csv => {
            csv::write_header(&mut out);
            for r in rows {
                csv::write_row(&mut out, r);
            }
            Some((out, "text/plain"))
        }
        Format::Typed => {
            for r in rows {
                csv::write_typed_row(&mut out, r, false);
            }
            Some((out, "text/plain"))
        }
        Format::Json => {
            csv::write_json(&mut out, rows);
            Some((out, "application/json"))
        }
    }
}
