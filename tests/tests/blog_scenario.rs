//! The scenarios of `haproxy_reference.rs`, run against proxyd: the same steps, started with
//! `Daemon::proxyd` instead of `Daemon::haproxy`.

use e2e::config::Config;
use e2e::daemon::Daemon;
use e2e::scenario::{self, BlogScenario};

fn proxyd(config: Config) -> Option<Daemon> {
    Some(Daemon::proxyd(config))
}

#[test]

fn monitoring_pipeline_shows_503_server_down_and_200_server_up() {
    let scenario = BlogScenario::new();
    let daemon = Daemon::proxyd(scenario.config());
    scenario.wait_for_completed_checks(&daemon);
    scenario.assert_monitoring_pipeline(&daemon);
}

#[test]

fn tls_passes_through_to_the_healthy_server() {
    let scenario = BlogScenario::new();
    let daemon = Daemon::proxyd(scenario.config());
    scenario.wait_for_completed_checks(&daemon);
    scenario.assert_tls_passthrough(&daemon);
}

#[test]

fn roundrobin_spreads_sessions_over_up_servers_only() {
    scenario::roundrobin_spreads_sessions_over_up_servers(proxyd);
}

#[test]

fn failing_checks_report_distinct_statuses() {
    scenario::failing_checks_report_distinct_statuses(proxyd);
}

#[test]

fn verifyhost_names_the_certificate_a_check_expects() {
    scenario::verifyhost_names_the_certificate_a_check_expects(proxyd);
}

#[test]

fn logs_down_and_up_when_check_status_flips() {
    scenario::status_flip_takes_server_down_and_up_with_log_lines(proxyd);
}
