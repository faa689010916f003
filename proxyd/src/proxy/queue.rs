//! Server slots and the backend queue.
//!
//! A session holds a slot on its server from the moment it is assigned until it ends; a full
//! server (at `maxconn`) makes new sessions wait in the backend's FIFO queue, and every freed
//! slot goes to the oldest waiter first.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;

use super::balance;
use crate::model::server::ServerRt;
use crate::model::{BackendRt, Waiter};

/// Take a slot on `srv` if it has one free. Atomic so that two sessions never both take the
/// last slot.
pub fn try_reserve(be: &BackendRt, srv: &ServerRt) -> bool {
    let max = srv.current_maxconn() as u64;
    let scur = &srv.counters.scur;
    let mut cur = scur.load(Relaxed);
    loop {
        if max != 0 && cur >= max {
            return false;
        }
        match scur.compare_exchange_weak(cur, cur + 1, Relaxed, Relaxed) {
            Ok(_) => {
                srv.counters.smax.fetch_max(cur + 1, Relaxed);
                balance::sessions_changed(be, srv);
                return true;
            }
            Err(actual) => cur = actual,
        }
    }
}

/// Give back a slot and hand free slots to queued sessions.
pub fn release(be: &BackendRt, srv: &Arc<ServerRt>) {
    give_back(be, srv);
    dispatch(be);
}

fn give_back(be: &BackendRt, srv: &ServerRt) {
    srv.counters.scur.fetch_sub(1, Relaxed);
    balance::sessions_changed(be, srv);
}

/// Assign queued sessions to servers with free slots, oldest first.
pub fn dispatch(be: &BackendRt) {
    let Ok(mut q) = be.queue.lock() else {
        return;
    };
    while let Some(front) = q.front() {
        if front.tx.is_closed() {
            q.pop_front();
            be.counters.dequeued();
            continue;
        }
        let Some(srv) = be
            .servers()
            .iter()
            .filter(|s| s.is_usable())
            .find(|s| try_reserve(be, s))
            .cloned()
        else {
            return;
        };
        let Some(w) = q.pop_front() else {
            give_back(be, &srv);
            return;
        };
        be.counters.dequeued();
        if let Err(srv) = w.tx.send(srv) {
            // The waiter gave up between our check and the send; keep the slot free.
            give_back(be, &srv);
        }
    }
}

/// Join the backend queue; the receiver yields a server with a slot already reserved.
pub fn enqueue(be: &BackendRt) -> Option<oneshot::Receiver<Arc<ServerRt>>> {
    let (tx, rx) = oneshot::channel();
    let mut q = be.queue.lock().ok()?;
    q.push_back(Waiter {
        tx,
        since: Instant::now(),
    });
    be.counters.queued();
    drop(q);
    // A slot may have freed while we were deciding to queue.
    dispatch(be);
    Some(rx)
}

/// Drop waiters whose sessions gave up (queue timeout, client gone) so `qcur` stays true.
pub fn prune(be: &BackendRt) {
    if let Ok(mut q) = be.queue.lock() {
        let before = q.len();
        q.retain(|w| !w.tx.is_closed());
        for _ in q.len()..before {
            be.counters.dequeued();
        }
    }
}
