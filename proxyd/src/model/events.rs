//! What follows a server state change, whoever caused it (a check, the runtime API, the page):
//! HAProxy's log line, closing sessions where configured, the backend's own up/down state and
//! handing queued connections to servers that came back.

use std::sync::atomic::Ordering::Relaxed;

use super::server::ServerRt;
use super::BackendRt;
use crate::check::log::{self as checklog, Counts, ServerRef};
use crate::check::{CheckOutcome, ForcedHealth, OpState, Transition};
use crate::config::ProxyKind;
use crate::logging::{Logger, Severity};
use crate::proxy::queue;

/// Why a server changed state, for the log line.
pub enum Cause<'a> {
    Check(&'a CheckOutcome),
    EnterMaint,
    LeaveMaint,
    EnterDrain,
    LeaveDrain,
    Cli,
}

/// What a state change does to the queues before its line is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Requeue {
    /// Down, maintenance, drain: with `option redispatch` the server's waiters are balanced
    /// again (`pendconn_redistribute`).
    Leaving,
    /// Up: the server takes the backend's waiters it has room for (`pendconn_grab_from_px`).
    Arriving,
}

/// The figures of a state-change line, once the queues moved as HAProxy moves them.
fn counts(be: &BackendRt, srv: &ServerRt, requeue: Requeue) -> Counts {
    let requeued = match requeue {
        Requeue::Leaving => queue::redistribute(be, srv),
        Requeue::Arriving => queue::grab_for(be, srv),
    };
    let (act, bck, _) = be.usable_counts();
    Counts {
        active: act,
        backup: bck,
        sessions_active: srv.counters.scur.load(Relaxed) as u32,
        requeued,
        // The server's own queue.
        queued: srv.counters.qcur.load(Relaxed) as u32,
    }
}

fn requeue_for(t: Transition) -> Requeue {
    match t {
        Transition::Up => Requeue::Arriving,
        Transition::Down | Transition::Stopping => Requeue::Leaving,
    }
}

fn server_ref<'a>(be: &'a BackendRt, srv: &'a ServerRt) -> ServerRef<'a> {
    ServerRef {
        backend: &be.name,
        server: &srv.name,
        backup: srv.backup,
    }
}

/// The syslog priority of a server's state change: HAProxy alerts when a server that was
/// running stops serving (down, or into maintenance); anything else, including a server that
/// was only soft-stopping going down, is a notice.
fn priority(stops_serving: bool, from: OpState) -> Severity {
    if stops_serving && from == OpState::Running {
        Severity::Alert
    } else {
        Severity::Notice
    }
}

/// Log and apply a transition caused by a check (or `set server health`); `from` is the
/// server's operational state before it.
pub fn transition(
    be: &BackendRt,
    srv: &ServerRt,
    t: Transition,
    from: OpState,
    cause: Cause<'_>,
    log: &Logger,
) {
    if t == Transition::Down && srv.shutdown_on_down {
        srv.kill_sessions(crate::model::server::Ended::ServerDown);
    }
    let c = counts(be, srv, requeue_for(t));
    let why = match cause {
        // `option log-health-checks` already told the check's result on its own line.
        Cause::Check(_) if be.log_health_checks => checklog::Cause::Silent,
        Cause::Check(outcome) => checklog::Cause::Check(outcome),
        _ => checklog::Cause::Text("changed from CLI"),
    };
    let line = checklog::state_change_line(server_ref(be, srv), t, why, &c);
    log.of(&be.logs)
        .server_change(priority(t == Transition::Down, from), &line);
    after_change(be, log);
    follow(be, srv, Some(log), Propagate::Health);
}

/// A state a previous process saved, taken at start (`load-server-state-from-file`): a
/// server restored down or stopping says so; one restored running was running already.
pub fn restored(be: &BackendRt, srv: &ServerRt, t: Transition, log: &Logger) {
    let c = counts(be, srv, requeue_for(t));
    let why = checklog::Cause::Text("changed from server-state after a reload");
    let line = checklog::state_change_line(server_ref(be, srv), t, why, &c);
    log.of(&be.logs)
        .server_change(priority(t == Transition::Down, OpState::Running), &line);
}

/// A forced drain taken from the saved states.
pub fn restored_drain(be: &BackendRt, srv: &ServerRt, log: &Logger) {
    let line = format!("{} remains in forced drain mode.", who(be, srv));
    log.of(&be.logs).server_change(Severity::Notice, &line);
}

/// An administrative change (maintenance, drain).
pub fn admin_change(be: &BackendRt, srv: &ServerRt, cause: Cause<'_>, log: &Logger) {
    let who = who(be, srv);
    let (op, maint, drain) = srv
        .state
        .lock()
        .map(|st| (st.health.state(), st.admin.maint(), st.admin.drain()))
        .unwrap_or((OpState::Running, false, false));
    let stopped = op == OpState::Stopped;
    let mut level = Severity::Notice;
    let line = match cause {
        // Maintenance does not change the operational state: a server that was down says so.
        Cause::EnterMaint if stopped => format!("{who} was DOWN and now enters maintenance."),
        Cause::EnterMaint => {
            if srv.shutdown_on_down {
                srv.kill_sessions(crate::model::server::Ended::ServerDown);
            }
            level = priority(true, op);
            enter_maint_line(&who, None, &counts(be, srv, Requeue::Leaving))
        }
        Cause::LeaveMaint if maint => format!(
            "{who} is leaving forced maintenance but remains in maintenance via {}.",
            srv.track.as_deref().unwrap_or("?")
        ),
        Cause::LeaveMaint => format!(
            "{who} is {} (leaving forced maintenance).",
            up_down_ready(stopped, drain)
        ),
        Cause::EnterDrain => enter_drain_line(&who, None, &counts(be, srv, Requeue::Leaving)),
        Cause::LeaveDrain => format!("{who} is UP (leaving forced drain)."),
        Cause::Check(_) | Cause::Cli => {
            after_change(be, log);
            return follow(be, srv, Some(log), Propagate::Health);
        }
    };
    log.of(&be.logs).server_change(level, &line);
    after_change(be, log);
    follow(be, srv, Some(log), Propagate::Admin);
}

/// How HAProxy names a server in state-change lines.
fn who(be: &BackendRt, srv: &ServerRt) -> String {
    let backup = if srv.backup { "Backup " } else { "" };
    format!("{backup}Server {}/{}", be.name, srv.name)
}

/// `UP/READY`, `DOWN/DRAIN`…: where a server stands as it leaves maintenance.
fn up_down_ready(stopped: bool, drain: bool) -> String {
    let op = if stopped { "DOWN" } else { "UP" };
    let admin = if drain { "DRAIN" } else { "READY" };
    format!("{op}/{admin}")
}

/// `via`: the tracked server a tracking one followed into maintenance.
fn enter_maint_line(who: &str, via: Option<&str>, c: &Counts) -> String {
    let via = via.map(|v| format!(" via {v}")).unwrap_or_default();
    let on_backup = on_backup(c);
    format!(
        "{who} is going DOWN for maintenance{via}. {} active and {} backup servers left.{on_backup} {} sessions active, {} requeued, {} remaining in queue.",
        c.active, c.backup, c.sessions_active, c.requeued, c.queued
    )
}

fn enter_drain_line(who: &str, via: Option<&str>, c: &Counts) -> String {
    let via = via.map(|v| format!(" via {v}")).unwrap_or_default();
    let on_backup = on_backup(c);
    format!(
        "{who} enters drain state{via}. {} active and {} backup servers online.{on_backup} {} sessions requeued, {} total in queue.",
        c.active, c.backup, c.requeued, c.queued
    )
}

/// HAProxy's note when only backup servers are left to serve.
fn on_backup(c: &Counts) -> &'static str {
    if c.backup > 0 && c.active == 0 {
        " Running on backup."
    } else {
        ""
    }
}

/// What a change of a tracked server hands on to the servers that track it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagate {
    /// Its health moved (a check, `set server … health`): trackers take it.
    Health,
    /// It entered or left maintenance or drain: trackers take the inherited flags, and one
    /// that leaves maintenance takes the tracked server's health with it. A tracker whose
    /// flags do not change is left alone (HAProxy's `srv_set/clr_admin_flag` stop there).
    Admin,
    /// Everything, silently: a model being built.
    All,
}

/// Give the servers that track `srv` its state (up, stopping or down; maintenance; drain), and
/// so on down the chain, logging each change as HAProxy does (`... via be/srv`). Without `log`
/// (when a model is built) the states are set silently.
pub fn follow(be: &BackendRt, srv: &ServerRt, log: Option<&Logger>, what: Propagate) {
    let (trackers, op, maint, drain) = {
        let (Ok(links), Ok(st)) = (srv.links.lock(), srv.state.lock()) else {
            return;
        };
        if links.trackers.is_empty() {
            return;
        }
        (
            links.trackers.clone(),
            st.health.state(),
            st.admin.maint(),
            st.admin.drain(),
        )
    };
    let via = format!("{}/{}", be.name, srv.name);
    for (tbe, t) in trackers {
        let (Some(tbe), Some(t)) = (tbe.upgrade(), t.upgrade()) else {
            continue;
        };
        let Ok(mut st) = t.state.lock() else { continue };
        let was = Flags::of(&st);
        let was_op = st.health.state();
        if what == Propagate::Admin && st.admin.imaint == maint && st.admin.idrain == drain {
            continue;
        }
        if what != Propagate::Health {
            if maint && !was.maint && was_op != OpState::Stopped {
                st.unchecked_health = 0;
            }
            st.admin.imaint = maint;
            st.admin.idrain = drain;
        }
        let leaves_maint = was.maint && !st.admin.maint();
        let moved = if what == Propagate::Admin && !leaves_maint {
            None
        } else {
            st.health.force(forced(op))
        };
        t.publish(&mut st);
        let now = Flags::of(&st);
        let now_stopped = st.health.state() == OpState::Stopped;
        drop(st);
        if let Some(log) = log {
            let change = Followed {
                was,
                now,
                was_op,
                now_stopped,
                moved,
            };
            follow_log(&tbe, &t, &via, change, log);
        }
        follow(&tbe, &t, log, what);
    }
}

/// The health a tracking server takes from its tracked server's operational state.
pub fn forced(op: OpState) -> ForcedHealth {
    match op {
        OpState::Running => ForcedHealth::Up,
        OpState::Stopping => ForcedHealth::Stopping,
        OpState::Stopped => ForcedHealth::Down,
    }
}

/// The maintenance and drain flags of a server that matter to the log lines.
#[derive(Clone, Copy)]
struct Flags {
    maint: bool,
    imaint: bool,
    drain: bool,
}

impl Flags {
    fn of(st: &super::server::ServerState) -> Flags {
        Flags {
            maint: st.admin.maint(),
            imaint: st.admin.imaint,
            drain: st.admin.drain(),
        }
    }
}

/// A tracking server before and after it followed its tracked one.
struct Followed {
    was: Flags,
    now: Flags,
    was_op: OpState,
    now_stopped: bool,
    moved: Option<Transition>,
}

/// The lines HAProxy writes for a tracking server that followed its tracked one.
fn follow_log(be: &BackendRt, srv: &ServerRt, via: &str, change: Followed, log: &Logger) {
    let who = who(be, srv);
    let Followed {
        was,
        now,
        was_op,
        now_stopped,
        moved,
    } = change;
    let was_stopped = was_op == OpState::Stopped;
    let mut level = Severity::Notice;
    let (was_maint, now_maint, was_drain, now_drain) = (was.maint, now.maint, was.drain, now.drain);
    let line = if now_maint && !was_maint && was_stopped {
        Some(format!(
            "{who} was DOWN and now enters maintenance via {via}."
        ))
    } else if now_maint && !was_maint {
        if srv.shutdown_on_down {
            srv.kill_sessions(crate::model::server::Ended::ServerDown);
        }
        level = priority(true, was_op);
        Some(enter_maint_line(
            &who,
            Some(via),
            &counts(be, srv, Requeue::Leaving),
        ))
    } else if was_maint && !now_maint {
        Some(format!(
            "{who} is {} (leaving maintenance).",
            up_down_ready(now_stopped, now_drain)
        ))
    } else if now_maint && was.imaint && !now.imaint {
        Some(format!("{who} remains in forced maintenance."))
    } else if now_maint {
        None
    } else if let Some(t) = moved {
        if t == Transition::Down && srv.shutdown_on_down {
            srv.kill_sessions(crate::model::server::Ended::ServerDown);
        }
        level = priority(t == Transition::Down, was_op);
        Some(checklog::state_change_line(
            server_ref(be, srv),
            t,
            checklog::Cause::Via(via),
            &counts(be, srv, requeue_for(t)),
        ))
    } else if now_drain && !was_drain {
        Some(enter_drain_line(
            &who,
            Some(via),
            &counts(be, srv, Requeue::Leaving),
        ))
    } else if was_drain && !now_drain {
        // HAProxy says "forced" here too.
        Some(format!("{who} is UP (leaving forced drain)."))
    } else {
        None
    };
    if let Some(line) = line {
        log.of(&be.logs).server_change(level, &line);
    }
    after_change(be, log);
}

/// Backend bookkeeping after any server change.
pub fn after_change(be: &BackendRt, log: &Logger) {
    if be.refresh_state() {
        let (console, logged) = checklog::no_server_lines(ProxyKind::Backend, &be.name);
        log.of(&be.logs).backend_down(&console, &logged);
    }
    queue::dispatch(be);
}
