//! Scenarios run against the real HAProxy 2.6: they show the harness and the expectations describe
//! HAProxy's behaviour. Each test passes with a note when `/usr/sbin/haproxy` is not installed.
//! The same scenarios run against proxyd from `blog_scenario.rs` by swapping the constructor.

use e2e::daemon::Daemon;
use e2e::scenario::{self, BlogScenario};

#[test]
fn haproxy_monitoring_pipeline_shows_503_server_down_and_200_server_up() {
    let scenario = BlogScenario::new();
    let Some(daemon) = Daemon::haproxy(scenario.config()) else {
        return;
    };
    scenario.wait_for_completed_checks(&daemon);
    scenario.assert_monitoring_pipeline(&daemon);
}

#[test]
fn haproxy_passes_tls_through_to_the_healthy_server() {
    let scenario = BlogScenario::new();
    let Some(daemon) = Daemon::haproxy(scenario.config()) else {
        return;
    };
    scenario.wait_for_completed_checks(&daemon);
    scenario.assert_tls_passthrough(&daemon);
}

#[test]
fn haproxy_roundrobin_spreads_sessions_over_up_servers_only() {
    scenario::roundrobin_spreads_sessions_over_up_servers(Daemon::haproxy);
}

#[test]
fn haproxy_failing_checks_report_distinct_statuses() {
    scenario::failing_checks_report_distinct_statuses(Daemon::haproxy);
}

#[test]
fn haproxy_verifyhost_names_the_certificate_a_check_expects() {
    scenario::verifyhost_names_the_certificate_a_check_expects(Daemon::haproxy);
}

#[test]
fn haproxy_logs_down_and_up_when_check_status_flips() {
    scenario::status_flip_takes_server_down_and_up_with_log_lines(Daemon::haproxy);
}

#[test]
fn haproxy_check_requests_match_the_captured_fixtures() {
    let Some((daemon, servers)) = scenario::httpchk_requests(Daemon::haproxy) else {
        return;
    };
    scenario::assert_check_requests_match_fixtures(&daemon, &servers);
}
