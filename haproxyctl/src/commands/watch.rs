//! `watch`: a `top`-like view. Samples `show stat` every interval, shows per-server rates
//! computed between two samples (sessions/s, bytes/s) and highlights states that just changed.
//! On a terminal it takes the alternate screen and restores it on q, Esc, Ctrl-C or panic; when
//! stdout is not a terminal it prints a fresh table every interval instead.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, terminal};
use runtime_api::stat_table::StatTable;

use super::status::{self, Group, Line};
use super::Ctx;
use crate::args::WatchArgs;
use crate::error::{exit, CtlError};
use crate::instance::Instance;
use crate::model;
use crate::render::table::{self, Column, Styled};
use crate::render::{self, human};

/// How many samples a state change stays highlighted.
const HIGHLIGHT_SAMPLES: u64 = 3;

type Key = (String, String, String);

/// Counters of the previous sample, to turn totals into rates.
#[derive(Clone, Copy)]
struct Counters {
    stot: u64,
    bin: u64,
    bout: u64,
}

#[derive(Default)]
struct History {
    sample: u64,
    last: HashMap<Key, Counters>,
    last_at: Option<Instant>,
    /// Status text and the sample at which it last changed.
    status: HashMap<Key, (String, u64)>,
}

struct Rates {
    sess: Option<f64>,
    bin: Option<f64>,
    bout: Option<f64>,
}

fn key(line: &Line<'_>) -> Key {
    (
        line.instance.to_string(),
        line.row.pxname().to_string(),
        line.row.svname().to_string(),
    )
}

impl History {
    /// Records one sample; returns rates and whether the state changed recently, per server.
    fn observe(&mut self, groups: &[Group<'_>], now: Instant) -> HashMap<Key, (Rates, bool)> {
        self.sample += 1;
        let dt = self.last_at.map(|t| now.duration_since(t).as_secs_f64());
        let mut out = HashMap::new();
        let mut next = HashMap::new();
        for line in groups.iter().flat_map(|g| &g.servers) {
            let k = key(line);
            let r = line.row;
            let now_c = Counters {
                stot: r.u64("stot").unwrap_or(0),
                bin: r.u64("bin").unwrap_or(0),
                bout: r.u64("bout").unwrap_or(0),
            };
            let prev = self.last.get(&k).copied();
            // A counter that went down was cleared or the process reloaded: no rate this time.
            let rate = |f: fn(&Counters) -> u64| match (prev, dt) {
                (Some(p), Some(dt)) if dt > 0.0 && f(&now_c) >= f(&p) => {
                    Some((f(&now_c) - f(&p)) as f64 / dt)
                }
                _ => None,
            };
            let rates = Rates {
                sess: rate(|c| c.stot),
                bin: rate(|c| c.bin),
                bout: rate(|c| c.bout),
            };
            let status_now = r.str("status").to_string();
            let changed_at = match self.status.get(&k) {
                Some((old, at)) if *old == status_now => *at,
                Some(_) => self.sample,
                // First sight is not a change.
                None => 0,
            };
            self.status.insert(k.clone(), (status_now, changed_at));
            let highlight = changed_at > 0 && self.sample - changed_at < HIGHLIGHT_SAMPLES;
            next.insert(k.clone(), now_c);
            out.insert(k, (rates, highlight));
        }
        self.last = next;
        self.last_at = Some(now);
        out
    }
}

fn columns(several: bool) -> Vec<Column> {
    let mut c = Vec::new();
    if several {
        c.push(Column::left("INSTANCE", 0));
    }
    c.extend([
        Column::left("SERVER", 0),
        Column::left("STATUS", 0),
        Column::left("CHECK", 3),
        Column::right("SESS", 0),
        Column::right("SESS/S", 0),
        Column::right("IN/S", 2),
        Column::right("OUT/S", 2),
        Column::right("LAST CHG", 1),
    ]);
    c
}

fn clock() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// One screen (or one printed block) of text.
fn frame(
    stats: &[(Instance, StatTable)],
    errors: &[String],
    args: &WatchArgs,
    history: &mut History,
    several: bool,
    colour: bool,
    width: Option<u16>,
) -> Result<String, CtlError> {
    let groups = status::select(stats, &args.filter)?;
    let seen = history.observe(&groups, Instant::now());
    let mut out = format!(
        "haproxyctl watch, every {}s, {}\n",
        args.interval.as_secs_f64(),
        clock()
    );
    for e in errors {
        out.push_str(&format!("error: {e}\n"));
    }
    let cols = columns(several);
    let mut tables = Vec::new();
    for g in &groups {
        let rows: Vec<Vec<Styled>> = g
            .servers
            .iter()
            .map(|l| {
                let (rates, highlight) = match seen.get(&key(l)) {
                    Some((r, h)) => (Some(r), *h),
                    None => (None, false),
                };
                let fmt = |v: Option<f64>, f: fn(f64) -> String| v.map(f).unwrap_or_default();
                let mut st = status::status_cell(l);
                st.emphasis = highlight;
                if highlight && !colour {
                    // Without colour the change still has to be visible.
                    st.text.push_str(" *");
                }
                let mut c: Vec<Styled> = Vec::new();
                if several {
                    c.push(l.instance.into());
                }
                c.push(status::server_name(l.row).into());
                c.push(st);
                c.push(model::check_words(l.row).into());
                c.push(l.row.str("scur").into());
                c.push(fmt(rates.and_then(|r| r.sess), human::rate).into());
                c.push(
                    fmt(rates.and_then(|r| r.bin), |b| {
                        format!("{}/s", human::bytes(b as u64))
                    })
                    .into(),
                );
                c.push(
                    fmt(rates.and_then(|r| r.bout), |b| {
                        format!("{}/s", human::bytes(b as u64))
                    })
                    .into(),
                );
                c.push(
                    l.row
                        .u64("lastchg")
                        .map(human::duration_secs)
                        .unwrap_or_default()
                        .into(),
                );
                c
            })
            .collect();
        tables.push((status::heading(g, several), rows));
    }
    let all: Vec<Vec<Styled>> = tables.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
    let keep = table::fit(&cols, &all, width);
    for (heading, rows) in &tables {
        out.push('\n');
        out.push_str(heading);
        out.push('\n');
        out.push_str(&table::render(&cols, rows, &keep, colour, width));
    }
    Ok(out)
}

/// Samples every instance; an unreachable one is reported in the frame, not fatal, since it may
/// come back while we watch. `outcome` remembers whether anything was ever read.
fn sample(
    instances: &[Instance],
    outcome: &mut Outcome,
) -> (Vec<(Instance, StatTable)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for inst in instances {
        match inst.stat() {
            Ok(t) => ok.push((inst.clone(), t)),
            Err(e) => {
                outcome.worst = outcome.worst.max(e.exit_code());
                errors.push(e.to_string());
            }
        }
    }
    outcome.read_any |= !ok.is_empty();
    (ok, errors)
}

/// What the exit status depends on: a watch that never read a single sample failed as a
/// one-shot `status` would have (3 for a silent or missing socket); one that did succeeded.
#[derive(Default)]
struct Outcome {
    read_any: bool,
    worst: u8,
}

impl Outcome {
    fn code(&self) -> u8 {
        if self.read_any {
            exit::OK
        } else {
            self.worst.max(exit::SOCKET)
        }
    }
}

pub fn run(ctx: &Ctx, args: &WatchArgs) -> Result<u8, CtlError> {
    let instances = ctx.instances()?;
    if std::io::stdout().is_terminal() {
        run_screen(ctx, args, &instances)
    } else {
        run_plain(ctx, args, &instances)
    }
}

fn run_plain(ctx: &Ctx, args: &WatchArgs, instances: &[Instance]) -> Result<u8, CtlError> {
    let several = Ctx::several(instances);
    let mut history = History::default();
    let mut outcome = Outcome::default();
    let mut n = 0;
    loop {
        let started = Instant::now();
        let (stats, errors) = sample(instances, &mut outcome);
        let text = frame(
            &stats,
            &errors,
            args,
            &mut history,
            several,
            ctx.colour,
            table::target_width(),
        )?;
        render::emit(&format!("{text}\n"))?;
        n += 1;
        if args.iterations.is_some_and(|max| n >= max) {
            return Ok(outcome.code());
        }
        std::thread::sleep(args.interval.saturating_sub(started.elapsed()));
    }
}

/// Raw mode + alternate screen for as long as it lives; restores the terminal on drop.
struct Screen;

impl Screen {
    fn enter() -> Result<Screen, CtlError> {
        terminal::enable_raw_mode().map_err(CtlError::Terminal)?;
        let screen = Screen;
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )
        .map_err(CtlError::Terminal)?;
        // A panic would otherwise leave the user's shell in raw mode on the alternate screen.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        Ok(screen)
    }
}

fn restore() {
    // Best effort: the terminal may already be gone.
    let _ = execute!(
        std::io::stdout(),
        cursor::Show,
        terminal::LeaveAlternateScreen
    );
    let _ = terminal::disable_raw_mode();
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

fn draw(text: &str) -> Result<(), CtlError> {
    let (_, h) = terminal::size().map_err(CtlError::Terminal)?;
    let mut out = std::io::stdout().lock();
    crossterm::queue!(
        out,
        cursor::MoveTo(0, 0),
        terminal::Clear(terminal::ClearType::All)
    )
    .map_err(CtlError::Terminal)?;
    // Raw mode does not turn \n into \r\n; lines past the bottom would scroll the frame away.
    let lines: Vec<&str> = text.lines().take(usize::from(h.max(1))).collect();
    let body = lines.join("\r\n");
    out.write_all(body.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CtlError::from_output)
}

enum Input {
    Quit,
    Redraw,
    Timeout,
}

fn wait_input(until: Instant) -> Result<Input, CtlError> {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || !event::poll(left).map_err(CtlError::Terminal)? {
            return Ok(Input::Timeout);
        }
        match event::read().map_err(CtlError::Terminal)? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                let ctrl_c =
                    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                if ctrl_c || matches!(k.code, KeyCode::Char('q' | 'Q') | KeyCode::Esc) {
                    return Ok(Input::Quit);
                }
            }
            Event::Resize(..) => return Ok(Input::Redraw),
            _ => {}
        }
    }
}

fn run_screen(ctx: &Ctx, args: &WatchArgs, instances: &[Instance]) -> Result<u8, CtlError> {
    let several = Ctx::several(instances);
    let _screen = Screen::enter()?;
    let mut history = History::default();
    let mut outcome = Outcome::default();
    let mut n = 0;
    loop {
        let next = Instant::now() + args.interval;
        let (stats, errors) = sample(instances, &mut outcome);
        let width = terminal::size().ok().map(|(w, _)| w);
        let mut text = frame(
            &stats,
            &errors,
            args,
            &mut history,
            several,
            ctx.colour,
            width,
        )?;
        text.push_str("\nq: quit\n");
        draw(&text)?;
        n += 1;
        if args.iterations.is_some_and(|max| n >= max) {
            return Ok(outcome.code());
        }
        loop {
            match wait_input(next)? {
                Input::Quit => return Ok(outcome.code()),
                Input::Redraw => draw(&text)?,
                Input::Timeout => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::FilterArgs;
    use std::time::Duration;

    fn inst() -> Instance {
        Instance {
            label: "a".into(),
            target: runtime_api::client::Target::Unix("/x".into()),
            timeout: Duration::from_secs(1),
        }
    }

    fn table(status: &str, stot: u64) -> StatTable {
        StatTable::parse(&format!(
            "# pxname,svname,status,stot,bin,bout,type,\nbe,s1,{status},{stot},0,0,2,\nbe,BACKEND,UP,0,0,0,1,\n"
        ))
        .unwrap()
    }

    #[test]
    fn rates_come_from_two_samples_and_changes_are_highlighted() {
        let mut h = History::default();
        let filter = FilterArgs::default();
        let s1 = vec![(inst(), table("UP", 10))];
        let g1 = status::select(&s1, &filter).unwrap();
        let t0 = Instant::now();
        let first = h.observe(&g1, t0);
        let k: Key = ("a".into(), "be".into(), "s1".into());
        assert!(first[&k].0.sess.is_none() && !first[&k].1);
        let s2 = vec![(inst(), table("DOWN", 30))];
        let g2 = status::select(&s2, &filter).unwrap();
        let second = h.observe(&g2, t0 + Duration::from_secs(2));
        assert_eq!(second[&k].0.sess, Some(10.0));
        assert!(second[&k].1, "state change must be highlighted");
    }
}
