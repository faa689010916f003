//! `show servers state` (the version-1 server-state format), `show servers conn` and
//! `show backend`.

use std::fmt::Write as _;

use runtime_api::status::CheckStatus;

use super::context::Ctx;
use crate::check::OpState;
use crate::model::server::ServerRt;
use crate::model::BackendRt;
use crate::stats::ConnUsage;

const HEADER: &str = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

fn server_line(out: &mut String, be: &BackendRt, s: &ServerRt) {
    let Ok(st) = s.state.lock() else { return };
    let op = if st.admin.maint() {
        0
    } else {
        match st.health.state() {
            OpState::Stopped => 0,
            // SRV_ST_STARTING while `slowstart` throttles it.
            OpState::Running if s.warming().is_some() => 1,
            OpState::Running => 2,
            OpState::Stopping => 3,
        }
    };
    let configured = s.check.is_some();
    let (check_status, result, health, check_state) = if configured {
        let mut flags = 0x2; // configured
        if st.check_enabled {
            flags |= 0x4;
        }
        if st.check_paused {
            flags |= 0x8;
        }
        if st.check_running {
            flags |= 0x1;
        }
        let status = st.check_status();
        let health = if st.admin.maint() {
            st.maint_health
        } else {
            st.health.health()
        };
        (status.code(), status.result() as u8, health, flags)
    } else {
        // Unchecked servers report INI and the health counter HAProxy keeps for them (a
        // tracking server keeps its own when the server it follows goes down).
        (CheckStatus::Init.code(), 0, st.unchecked_health, 0)
    };
    let fqdn = if s.host.parse::<std::net::IpAddr>().is_ok() {
        "-".to_string()
    } else {
        s.host.clone()
    };
    let dash = |a: Option<std::net::IpAddr>| a.map_or("-".to_string(), |a| a.to_string());
    // HAProxy's `addr` and `port` keywords set the agent's address and port too, agent or not;
    // `check-addr` / `check-port` at run time do not.
    let (check_port, check_addr, agent_addr, agent_port) = match &s.check {
        Some(c) => {
            let own = s.check_dest();
            (
                own.port.unwrap_or(0),
                dash(own.addr),
                dash(c.addr_set),
                c.port_set.unwrap_or(0),
            )
        }
        None => (0, "-".into(), "-".into(), 0),
    };
    let _ = writeln!(
        out,
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 0 0 {} {} - 0 {} {} {} {}",
        be.id,
        be.name,
        s.id(),
        s.name,
        s.addr().ip(),
        op,
        st.admin.bits(),
        st.uweight,
        s.iweight,
        st.last_change.elapsed().as_secs(),
        check_status,
        result,
        health,
        check_state,
        fqdn,
        s.port_field(),
        check_port,
        check_addr,
        agent_addr,
        agent_port
    );
}

pub fn show_servers_state(ctx: &mut Ctx, args: &[String]) -> String {
    let mut out = String::from("1\n");
    out.push_str(HEADER);
    match args.get(3) {
        Some(name) => {
            let Some(be) = ctx.model.backend(name).cloned() else {
                return "Can't find backend.\n".into();
            };
            for s in be.servers().iter() {
                server_line(&mut out, &be, s);
            }
        }
        None => {
            for be in ctx.model.backends() {
                for s in be.servers().iter() {
                    server_line(&mut out, be, s);
                }
            }
        }
    }
    out
}

/// `show servers conn [<backend>]`: each server's connection pool as HAProxy 2.6 prints it.
/// Passthrough never pools a connection, so the idle and safe counts are 0 (as in HAProxy's TCP
/// mode); the per-thread idle counts are printed only for servers whose pool may hold
/// connections (`pool-max-conn` other than 0), as HAProxy allocates them only then.
pub fn show_servers_conn(ctx: &mut Ctx, args: &[String]) -> String {
    let threads = ctx.model.global.nbthread;
    let mut out = format!(
        "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[{threads}]\n"
    );
    let backends: Vec<_> = match args.get(3) {
        Some(name) => match ctx.model.backend(name) {
            Some(be) => vec![be.clone()],
            None => return "Can't find backend.\n".into(),
        },
        None => ctx.model.backends().cloned().collect(),
    };
    for be in &backends {
        for s in be.servers().iter() {
            let Ok(st) = s.state.lock() else { continue };
            let usage = ConnUsage::of(be, s, &st);
            drop(st);
            let _ = write!(
                out,
                "{}/{} {}/{} {} {} - {} {} {} {} 0 0 {} 0",
                be.name,
                s.name,
                be.id,
                s.id(),
                s.addr().ip(),
                s.port_field(),
                s.pool.purge_delay_ms,
                usage.used,
                usage.max_used,
                usage.max_used,
                s.pool.max_conn,
            );
            if s.pool.max_conn != 0 {
                out.push_str(&" 0".repeat(threads));
            }
            out.push('\n');
        }
    }
    out
}

pub fn show_backend(ctx: &mut Ctx, _args: &[String]) -> String {
    let mut out = String::from("# name\n");
    for be in ctx.model.backends() {
        out.push_str(&be.name);
        out.push('\n');
    }
    out
}
