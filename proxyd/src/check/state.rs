//! The health counter of one checked server, HAProxy's `set_server_check_status` and
//! `check_notify_*` rules, with no I/O and no clock: feed it statuses, read decisions.
//!
//! `health` runs from 0 to rise+fall-1. At or above `rise` the server may run; a failure that
//! takes it below `rise` drops it straight to 0 (DOWN), a success that reaches `rise` lifts it
//! straight to the maximum (UP). It starts at `rise` — "UP 1/3" — so the first result decides.

use std::time::Duration;

use runtime_api::status::{CheckResult, CheckStatus};

use crate::config::CheckSpec;

/// The operational state checks drive (HAProxy's `srv->next_state`; MAINT is an admin flag kept
/// by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpState {
    Running,
    /// Soft-stopping (NOLB): up but takes no new load-balanced traffic.
    Stopping,
    Stopped,
}

/// A change of operational state, to be logged and applied to the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// "is UP" (from DOWN or from NOLB).
    Up,
    /// "is DOWN".
    Down,
    /// "is stopping" (L7OKC from `disable-on-404`).
    Stopping,
}

/// What one result did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    pub transition: Option<Transition>,
    /// The failure was counted: `chkfail` += 1 (only while health > 0).
    pub failure_counted: bool,
    /// The health counter moved; with `option log-health-checks` HAProxy logs a line when this
    /// is true or the status differs from the previous one.
    pub health_changed: bool,
}

/// Admin state as far as the `status` column cares; MAINT wins over everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    Ready,
    Drain,
    Maint,
    /// Maintenance inherited from a tracked server.
    MaintVia {
        backend: String,
        server: String,
    },
    /// DNS resolution failure.
    MaintResolution,
}

/// `set server <b>/<s> health up|stopping|down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedHealth {
    Up,
    Stopping,
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    rise: u32,
    fall: u32,
    health: u32,
    state: OpState,
}

impl Health {
    /// A freshly checked server: health = rise, running (`UP 1/3` with `INI`).
    pub fn new(rise: u32, fall: u32) -> Self {
        // The config guarantees rise, fall >= 1; clamp so a bad value cannot underflow below.
        let (rise, fall) = (rise.max(1), fall.max(1));
        Health {
            rise,
            fall,
            health: rise,
            state: OpState::Running,
        }
    }

    pub fn from_spec(spec: &CheckSpec) -> Self {
        Health::new(spec.rise, spec.fall)
    }

    /// The `check_health` column.
    pub fn health(&self) -> u32 {
        self.health
    }
    pub fn rise(&self) -> u32 {
        self.rise
    }
    pub fn fall(&self) -> u32 {
        self.fall
    }
    pub fn state(&self) -> OpState {
        self.state
    }
    fn max(&self) -> u32 {
        self.rise + self.fall - 1
    }

    /// Running or soft-stopping: the server counts as up for `act`/`bck`-style decisions
    /// except that a stopping server takes no new traffic.
    pub fn is_up(&self) -> bool {
        self.state != OpState::Stopped
    }

    /// Applies one check result; returns the state change, if any.
    pub fn apply(&mut self, status: CheckStatus) -> Option<Transition> {
        self.apply_step(status).transition
    }

    /// Applies one check result and reports everything the caller must account for.
    pub fn apply_step(&mut self, status: CheckStatus) -> Step {
        let before = self.health;
        let mut step = Step::default();
        match status.result() {
            CheckResult::Failed => {
                if self.health > 0 {
                    step.failure_counted = true;
                    self.health -= 1;
                    if self.health < self.rise {
                        self.health = 0;
                    }
                }
                // check_notify_failure: only an exhausted counter stops the server.
                if self.health == 0 && self.state != OpState::Stopped {
                    self.state = OpState::Stopped;
                    step.transition = Some(Transition::Down);
                }
            }
            result @ (CheckResult::Passed | CheckResult::CondPass) => {
                if self.health < self.max() {
                    self.health += 1;
                    if self.health >= self.rise {
                        self.health = self.max();
                    }
                }
                if self.health >= self.rise {
                    let target = if result == CheckResult::CondPass {
                        OpState::Stopping
                    } else {
                        OpState::Running
                    };
                    if self.state != target {
                        self.state = target;
                        step.transition = Some(match target {
                            OpState::Stopping => Transition::Stopping,
                            _ => Transition::Up,
                        });
                    }
                }
            }
            CheckResult::Unknown | CheckResult::Neutral => {}
        }
        step.health_changed = self.health != before;
        step
    }

    /// Leaving MAINT (`state ready`, `enable server`) or `enable health`: back to health = rise,
    /// running, as at start — one failure then means DOWN.
    pub fn reset(&mut self) {
        self.health = self.rise;
        self.state = OpState::Running;
    }

    /// The state a previous process saved (`srv_op_state` 0 stopped, 1 starting, 2 running,
    /// 3 stopping, and `srv_check_health`), bounded as HAProxy's `srv_state_srv_update()` bounds
    /// it: a starting server keeps a health below `rise`, a stopping one a health from `rise` to
    /// the last step before the top; without such steps (`rise 1`, `fall 1`) it runs or stops.
    pub fn restore(&mut self, op: u8, saved: u32) {
        let (rise, fall) = (self.rise, self.fall);
        (self.health, self.state) = match op {
            0 => (0, OpState::Stopped),
            1 if rise == 1 => (self.max(), OpState::Running),
            1 if saved < 1 || saved >= rise => (rise - 1, OpState::Running),
            1 => (saved, OpState::Running),
            3 if fall == 1 => (0, OpState::Stopped),
            3 if saved < rise || saved > rise + fall - 2 => (rise, OpState::Stopping),
            3 => (saved, OpState::Stopping),
            _ => (self.max(), OpState::Running),
        };
    }

    /// `set server ... health up|stopping|down`.
    pub fn force(&mut self, forced: ForcedHealth) -> Option<Transition> {
        let (health, state, transition) = match forced {
            ForcedHealth::Up => (self.max(), OpState::Running, Transition::Up),
            ForcedHealth::Stopping => (self.max(), OpState::Stopping, Transition::Stopping),
            ForcedHealth::Down => (0, OpState::Stopped, Transition::Down),
        };
        self.health = health;
        let changed = self.state != state;
        self.state = state;
        changed.then_some(transition)
    }

    /// The `status` column of a checked server (`srv_hlt_st[]` in HAProxy's stats code).
    pub fn status_text(&self, admin: &Admin) -> String {
        if let Some(maint) = maint_text(admin) {
            return maint;
        }
        let going_down = self.health < self.max();
        // While falling: how much credit is left out of `fall`.
        let down_x = (self.health + 1).saturating_sub(self.rise);
        match self.state {
            OpState::Running => {
                let word = if *admin == Admin::Drain {
                    "DRAIN"
                } else {
                    "UP"
                };
                if going_down {
                    format!("{word} {down_x}/{}", self.fall)
                } else {
                    word.to_string()
                }
            }
            OpState::Stopping if going_down => format!("NOLB {down_x}/{}", self.fall),
            OpState::Stopping => "NOLB".to_string(),
            OpState::Stopped if self.health == 0 => "DOWN".to_string(),
            // While rising: successes so far out of `rise`.
            OpState::Stopped => format!("DOWN {}/{}", self.health, self.rise),
        }
    }

    /// The `status: x/y UP|DRAIN|DOWN` suffix of `option log-health-checks` lines.
    pub fn log_status(&self, weight_zero: bool) -> String {
        if self.health >= self.rise {
            let word = if weight_zero { "DRAIN" } else { "UP" };
            format!("{}/{} {word}", self.health - self.rise + 1, self.fall)
        } else {
            format!("{}/{} DOWN", self.health, self.rise)
        }
    }

    /// The wait before the next check (`srv_getinter`): `inter` when fully up, `downinter` when
    /// fully down, `fastinter` in between (including the first checks after start).
    /// A zero `fastinter`/`downinter` means "not set" and falls back to `inter`.
    pub fn next_interval(&self, spec: &CheckSpec) -> Duration {
        let or_inter = |d: Duration| if d.is_zero() { spec.inter } else { d };
        if self.health == self.max() {
            spec.inter
        } else if self.state == OpState::Stopped && self.health == 0 {
            or_inter(spec.downinter)
        } else {
            or_inter(spec.fastinter)
        }
    }
}

/// `spread-checks`: HAProxy adds a random offset of ±`percent`% of the interval to every wait.
/// `unit_random` is a uniform draw in [0, 1).
pub fn spread(interval: Duration, percent: u32, unit_random: f64) -> Duration {
    if percent == 0 {
        return interval;
    }
    let span = interval.as_secs_f64() * f64::from(percent.min(50)) / 100.0;
    let offset = span - 2.0 * span * unit_random.clamp(0.0, 1.0);
    Duration::from_secs_f64((interval.as_secs_f64() + offset).max(0.0))
}

/// The `status` column of a server without an enabled check.
pub fn unchecked_status_text(running: bool, admin: &Admin) -> String {
    if let Some(maint) = maint_text(admin) {
        return maint;
    }
    match (running, admin) {
        (true, Admin::Drain) => "DRAIN".to_string(),
        (true, _) => "no check".to_string(),
        (false, _) => "DOWN".to_string(),
    }
}

fn maint_text(admin: &Admin) -> Option<String> {
    match admin {
        Admin::MaintResolution => Some("MAINT (resolution)".to_string()),
        Admin::MaintVia { backend, server } => Some(format!("MAINT (via {backend}/{server})")),
        Admin::Maint => Some("MAINT".to_string()),
        Admin::Ready | Admin::Drain => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckStatus::{L4Con, L7Ok, L7OkC, L7Sts};

    fn texts(h: &mut Health, statuses: &[CheckStatus]) -> Vec<(String, Option<Transition>)> {
        statuses
            .iter()
            .map(|&s| {
                let t = h.apply(s);
                (h.status_text(&Admin::Ready), t)
            })
            .collect()
    }

    fn owned(v: &[(&str, Option<Transition>)]) -> Vec<(String, Option<Transition>)> {
        v.iter().map(|(s, t)| (s.to_string(), *t)).collect()
    }

    #[test]
    fn starts_at_rise_and_the_first_result_decides() {
        let h = Health::new(2, 3);
        assert_eq!(
            (h.health(), h.status_text(&Admin::Ready)),
            (2, "UP 1/3".to_string())
        );
        let mut up = h.clone();
        assert_eq!(up.apply(L7Ok), None);
        assert_eq!(
            (up.health(), up.status_text(&Admin::Ready)),
            (4, "UP".to_string())
        );
        let mut down = h;
        assert_eq!(down.apply(L4Con), Some(Transition::Down));
        assert_eq!(
            (down.health(), down.status_text(&Admin::Ready)),
            (0, "DOWN".to_string())
        );
    }

    #[test]
    fn falling_then_rising_with_rise_2_fall_3() {
        let mut h = Health::new(2, 3);
        h.apply(L7Ok);
        let got = texts(&mut h, &[L7Sts, L7Sts, L7Sts, L7Sts, L7Ok, L7Ok]);
        let want = owned(&[
            ("UP 2/3", None),
            ("UP 1/3", None),
            ("DOWN", Some(Transition::Down)),
            ("DOWN", None),
            ("DOWN 1/2", None),
            ("UP", Some(Transition::Up)),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn failures_count_only_while_health_is_left() {
        let mut h = Health::new(2, 3);
        assert!(h.apply_step(L4Con).failure_counted);
        let step = h.apply_step(L4Con);
        assert!(!step.failure_counted && !step.health_changed && step.transition.is_none());
        // Unknown results change nothing.
        assert_eq!(h.apply_step(CheckStatus::Init), Step::default());
    }

    #[test]
    fn conditional_pass_soft_stops_and_a_pass_brings_it_back() {
        let mut h = Health::new(2, 3);
        assert_eq!(h.apply(L7OkC), Some(Transition::Stopping));
        assert_eq!(h.status_text(&Admin::Ready), "NOLB");
        assert_eq!(h.apply(L7Sts), None);
        assert_eq!(h.status_text(&Admin::Ready), "NOLB 2/3");
        assert_eq!(h.apply(L7Ok), Some(Transition::Up));
        assert_eq!(h.status_text(&Admin::Ready), "UP");
    }

    #[test]
    fn admin_states_override_the_health_text() {
        let mut h = Health::new(2, 3);
        assert_eq!(h.status_text(&Admin::Drain), "DRAIN 1/3");
        h.apply(L7Ok);
        assert_eq!(h.status_text(&Admin::Drain), "DRAIN");
        assert_eq!(h.status_text(&Admin::Maint), "MAINT");
        let via = Admin::MaintVia {
            backend: "be".into(),
            server: "s1".into(),
        };
        assert_eq!(h.status_text(&via), "MAINT (via be/s1)");
        assert_eq!(unchecked_status_text(true, &Admin::Ready), "no check");
        assert_eq!(unchecked_status_text(true, &Admin::Drain), "DRAIN");
        assert_eq!(unchecked_status_text(false, &Admin::Ready), "DOWN");
    }

    #[test]
    fn forcing_and_resetting() {
        let mut h = Health::new(2, 3);
        assert_eq!(h.force(ForcedHealth::Down), Some(Transition::Down));
        assert_eq!(h.force(ForcedHealth::Down), None);
        assert_eq!(h.force(ForcedHealth::Up), Some(Transition::Up));
        assert_eq!(h.health(), 4);
        h.reset();
        assert_eq!(h.status_text(&Admin::Ready), "UP 1/3");
    }

    #[test]
    fn interval_follows_inter_fastinter_downinter() {
        let spec = CheckSpec {
            target: "127.0.0.1:1".parse().unwrap(),
            port_set: None,
            addr_set: None,
            inter: Duration::from_secs(2),
            fastinter: Duration::from_millis(500),
            downinter: Duration::from_secs(10),
            rise: 2,
            fall: 3,
            tls: None,
            http: None,
            tcp: None,
            rules_tls: None,
            timeout_connect: None,
            timeout_check: None,
        };
        let mut h = Health::from_spec(&spec);
        assert_eq!(
            h.next_interval(&spec),
            Duration::from_millis(500),
            "not checked yet"
        );
        h.apply(L7Ok);
        assert_eq!(h.next_interval(&spec), Duration::from_secs(2), "fully up");
        h.apply(L7Sts);
        assert_eq!(
            h.next_interval(&spec),
            Duration::from_millis(500),
            "going down"
        );
        h.apply(L7Sts);
        h.apply(L7Sts);
        assert_eq!(
            h.next_interval(&spec),
            Duration::from_secs(10),
            "fully down"
        );
        h.apply(L7Ok);
        assert_eq!(
            h.next_interval(&spec),
            Duration::from_millis(500),
            "going up"
        );
        let unset = CheckSpec {
            fastinter: Duration::ZERO,
            downinter: Duration::ZERO,
            ..spec.clone()
        };
        assert_eq!(h.next_interval(&unset), Duration::from_secs(2));
    }

    #[test]
    fn spread_stays_within_the_percentage() {
        let inter = Duration::from_secs(10);
        assert_eq!(spread(inter, 0, 0.3), inter);
        assert_eq!(spread(inter, 10, 0.0), Duration::from_secs(11));
        assert_eq!(spread(inter, 10, 0.5), inter);
        assert_eq!(spread(inter, 10, 1.0), Duration::from_secs(9));
    }
}
