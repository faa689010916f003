//! Server slots and the queues that wait for them.
//!
//! A session holds a slot on its server from the moment it is assigned until it ends. When no
//! server can take it, a session waits in its backend's queue; when the balancing already named
//! its server (a hash, or `leastconn` with `maxqueue` room), it waits in that server's own
//! queue, as in HAProxy. A freed slot goes to the oldest waiter of its server's queue and of the
//! backend's (the latter only while balancing may pick the server: never a backup while an
//! active server is usable); the backend's queue also takes any other such free slot.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::balance;
use crate::model::server::ServerRt;
use crate::model::{BackendRt, Handoff, WaitQueue, Waiter};

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

/// Give back a slot without looking at the queues: [`dispatch`] must follow.
pub fn give_back(be: &BackendRt, srv: &ServerRt) {
    srv.counters.scur.fetch_sub(1, Relaxed);
    balance::sessions_changed(be, srv);
}

/// Hand free slots to queued sessions: each server to its own waiters first (or the backend's
/// when they are older), then the backend's waiters to any server in service with room and no
/// waiters of its own.
pub fn dispatch(be: &BackendRt) {
    let mut serving = None;
    if be.server_waiters.load(Relaxed) > 0 {
        let serving = serving.get_or_insert_with(|| balance::in_service(be));
        for srv in be.servers().iter() {
            serve_own(be, srv, serving.iter().any(|s| Arc::ptr_eq(s, srv)));
        }
    }
    let Ok(mut q) = be.queue.waiting.lock() else {
        return;
    };
    loop {
        drop_gone(&mut q, || be.counters.dequeued());
        if q.is_empty() {
            return;
        }
        let Some(srv) = serving
            .get_or_insert_with(|| balance::in_service(be))
            .iter()
            .filter(|s| s.counters.qcur.load(Relaxed) == 0)
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
        hand_over(be, &be.queue, w, srv);
    }
}

/// `process_srv_queue`: while `srv` has room, its oldest waiter or, when older and `srv` is
/// `in_service`, the backend's.
fn serve_own(be: &BackendRt, srv: &Arc<ServerRt>, in_service: bool) {
    let Ok(mut own) = srv.queue.waiting.lock() else {
        return;
    };
    loop {
        drop_gone(&mut own, || left_server_queue(be, srv));
        if own.is_empty() || !try_reserve(be, srv) {
            return;
        }
        let mut backend = match in_service {
            true => be.queue.waiting.lock().ok(),
            false => None,
        };
        if let Some(q) = backend.as_mut() {
            drop_gone(q, || be.counters.dequeued());
        }
        let from_backend = backend.as_ref().is_some_and(|q| {
            q.front()
                .zip(own.front())
                .is_some_and(|(b, s)| b.since < s.since)
        });
        let taken = match backend.as_mut() {
            Some(q) if from_backend => q.pop_front(),
            _ => own.pop_front(),
        };
        drop(backend);
        let Some(w) = taken else {
            give_back(be, srv);
            return;
        };
        if from_backend {
            be.counters.dequeued();
            hand_over(be, &be.queue, w, srv.clone());
        } else {
            left_server_queue(be, srv);
            hand_over(be, &srv.queue, w, srv.clone());
        }
    }
}

fn left_server_queue(be: &BackendRt, srv: &ServerRt) {
    srv.counters.dequeued();
    be.server_waiters.fetch_sub(1, Relaxed);
    balance::sessions_changed(be, srv);
}

/// Waiters whose sessions gave up (queue timeout, client gone) leave the front of the queue
/// without being counted as served; `left` accounts for each.
fn drop_gone(q: &mut VecDeque<Waiter>, left: impl Fn()) {
    while q.front().is_some_and(|w| w.tx.is_closed()) {
        q.pop_front();
        left();
    }
}

/// Give `srv`, whose slot is already reserved, to waiter `w` taken from `queue`.
fn hand_over(be: &BackendRt, queue: &WaitQueue, w: Waiter, srv: Arc<ServerRt>) {
    let position = queue.served.fetch_add(1, Relaxed) + 1 - w.ticket;
    if let Err(h) = w.tx.send(Handoff {
        server: Some(srv),
        position,
    }) {
        // The waiter gave up between our check and the send; keep the slot free.
        if let Some(srv) = h.server {
            give_back(be, &srv);
        }
    }
}

/// `pendconn_redistribute`: `srv` went down, into maintenance or drain; with `option
/// redispatch` its waiters go back to be balanced again. How many went.
pub fn redistribute(be: &BackendRt, srv: &ServerRt) -> u32 {
    if !be.redispatch {
        return 0;
    }
    let Ok(mut own) = srv.queue.waiting.lock() else {
        return 0;
    };
    let mut sent = 0;
    while let Some(w) = own.pop_front() {
        left_server_queue(be, srv);
        let position = srv.queue.served.load(Relaxed) + 1 - w.ticket;
        let back = Handoff {
            server: None,
            position,
        };
        if w.tx.send(back).is_ok() {
            sent += 1;
        }
    }
    sent
}

/// `pendconn_grab_from_px`: a server that comes up takes the backend's waiters while it has
/// room, if balancing may pick it. How many it took.
pub fn grab_for(be: &BackendRt, srv: &ServerRt) -> u32 {
    let Some(srv) = balance::in_service(be)
        .into_iter()
        .find(|s| std::ptr::eq(s.as_ref(), srv))
    else {
        return 0;
    };
    let srv = &srv;
    let Ok(mut q) = be.queue.waiting.lock() else {
        return 0;
    };
    let mut taken = 0;
    loop {
        drop_gone(&mut q, || be.counters.dequeued());
        if q.is_empty() || !try_reserve(be, srv) {
            return taken;
        }
        let Some(w) = q.pop_front() else {
            give_back(be, srv);
            return taken;
        };
        be.counters.dequeued();
        hand_over(be, &be.queue, w, srv.clone());
        taken += 1;
    }
}

/// A place in a queue: the receiver yields a server with a slot already reserved.
pub struct Ticket {
    rx: oneshot::Receiver<Handoff>,
    number: u64,
}

/// Why a waiter left its queue without a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    TimedOut,
    /// The client closed (`option abortonclose`).
    ClientGone,
}

impl Ticket {
    /// Waits up to `limit` for a server from `queue`, the queue this ticket was taken in, or,
    /// given `abort`, until that client closes. Leaving without a server, the position it
    /// reached for the logs (`%sq`, `%bq`: 1 plus the sessions served before it while it
    /// waited) and why. The caller then prunes the queue: this waiter is gone from it by then.
    pub async fn wait(
        mut self,
        limit: Duration,
        queue: &WaitQueue,
        abort: Option<&TcpStream>,
    ) -> Result<Handoff, (u64, Left)> {
        let gone = async {
            match abort {
                Some(client) => client_closed(client).await,
                None => std::future::pending().await,
            }
        };
        let why = tokio::select! {
            got = tokio::time::timeout(limit, &mut self.rx) => match got {
                Ok(Ok(h)) => return Ok(h),
                _ => Left::TimedOut,
            },
            () = gone => {
                // A server handed over in the meantime goes back to the queues.
                self.rx.close();
                if let Ok(h) = self.rx.try_recv() {
                    return Ok(h);
                }
                Left::ClientGone
            }
        };
        Err((queue.served.load(Relaxed) + 1 - self.number, why))
    }
}

/// Resolves once the peer has closed or reset `client`, without reading what it sent: a
/// readiness that only announces data is cleared and waited on again.
async fn client_closed(client: &TcpStream) {
    loop {
        match client.ready(Interest::READABLE).await {
            Ok(r) if !r.is_read_closed() && !r.is_error() => {
                let _ = client.try_io(Interest::READABLE, || {
                    Err::<(), _>(std::io::ErrorKind::WouldBlock.into())
                });
            }
            _ => return,
        }
    }
}

fn join(queue: &WaitQueue) -> (Ticket, Waiter) {
    let (tx, rx) = oneshot::channel();
    let number = queue.served.load(Relaxed);
    let waiter = Waiter {
        tx,
        since: Instant::now(),
        ticket: number,
    };
    (Ticket { rx, number }, waiter)
}

/// Join the backend queue.
/// Join the backend's queue. With `look_again`, a slot that freed while the caller was deciding
/// to queue is taken at once; without, the waiter is served by the next slot to free.
pub fn enqueue(be: &BackendRt, look_again: bool) -> Option<Ticket> {
    let (ticket, waiter) = join(&be.queue);
    let first = {
        let mut q = be.queue.waiting.lock().ok()?;
        let alone = q.iter().all(|w| w.tx.is_closed());
        q.push_back(waiter);
        alone
    };
    be.counters.queued();
    // A slot freed between the pick and now found nobody waiting: look again. Behind live
    // waiters there is no such race (a freed slot goes to them), and HAProxy hands out slots
    // only when one frees, not when a `minconn` limit grows with newcomers.
    if look_again && first {
        dispatch(be);
    }
    Some(ticket)
}

/// Join `srv`'s own queue, unless it already holds `maxqueue` waiters (`None`).
pub fn enqueue_on(be: &BackendRt, srv: &ServerRt) -> Option<Ticket> {
    let (ticket, waiter) = join(&srv.queue);
    {
        let mut q = srv.queue.waiting.lock().ok()?;
        if srv.maxqueue > 0 && q.len() >= srv.maxqueue as usize {
            return None;
        }
        q.push_back(waiter);
        srv.counters.queued();
        be.server_waiters.fetch_add(1, Relaxed);
    }
    balance::sessions_changed(be, srv);
    dispatch(be);
    Some(ticket)
}

/// Drop waiters whose sessions gave up (queue timeout, client gone) so `qcur` stays true.
pub fn prune(be: &BackendRt, srv: Option<&ServerRt>) {
    match srv {
        None => {
            if let Ok(mut q) = be.queue.waiting.lock() {
                prune_queue(&mut q, || be.counters.dequeued());
            }
        }
        Some(srv) => {
            if let Ok(mut q) = srv.queue.waiting.lock() {
                prune_queue(&mut q, || left_server_queue(be, srv));
            }
        }
    }
}

fn prune_queue(q: &mut VecDeque<Waiter>, left: impl Fn()) {
    let before = q.len();
    q.retain(|w| !w.tx.is_closed());
    for _ in q.len()..before {
        left();
    }
}
