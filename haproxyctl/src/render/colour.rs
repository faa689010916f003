//! Colours of server states, after HAProxy's stats page: green up, yellow/orange in transition,
//! red down, blue maintenance, cyan draining.

use std::io::IsTerminal;

use comfy_table::Color;

use crate::args::ColorChoice;
use crate::model::State;

/// `auto` colours only a terminal, and never when NO_COLOR is set to something (no-color.org);
/// an explicit `always` wins over NO_COLOR because the user asked on this very command line.
pub fn enabled(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Makes the decision of [`enabled`] stick. comfy-table draws through crossterm, which drops the
/// colours on its own when NO_COLOR is set but still writes the resets around them (`\x1b[m`), so
/// `--color always` would print bare escapes and no colour.
pub fn apply(enabled: bool) {
    if enabled {
        crossterm::style::force_color_output(true);
    }
}

pub fn state_colour(state: State) -> Option<Color> {
    match state {
        State::Up | State::NoCheck => Some(Color::Green),
        State::GoingDown => Some(Color::Yellow),
        State::GoingUp => Some(Color::DarkYellow),
        State::Down => Some(Color::Red),
        State::Maint => Some(Color::Blue),
        State::Drain | State::NoLb => Some(Color::Cyan),
        State::Unknown => None,
    }
}
