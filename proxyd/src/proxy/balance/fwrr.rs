//! HAProxy's `roundrobin` (`lb_fwrr.c`): each server waits in a tree keyed by the position at
//! which it should next be picked, so weights interleave as HAProxy interleaves them (3:1 gives
//! A A A B) and servers that leave, come back or change weight are put back where HAProxy puts
//! them.
//!
//! The balancer is not called back on state changes: before each pick, every active server's
//! usability and effective weight are compared with what the trees were last told, and the
//! differences are applied in list order, as HAProxy's `update_server_eweight` applies them.
//! Backup servers are not in the trees: without `option allbackups` HAProxy uses the first
//! usable one directly.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};

use crate::model::server::ServerRt;

/// `SRV_UWGHT_RANGE`, `SRV_EWGHT_MAX`, `BE_WEIGHT_SCALE`.
const UWEIGHT_RANGE: i64 = 256;
const EWEIGHT_MAX: i64 = 256 * 16;
const WEIGHT_SCALE: i64 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tree {
    Curr,
    T0,
    T1,
}

impl Tree {
    fn slot(self) -> usize {
        match self {
            Tree::Curr => 0,
            Tree::T0 => 1,
            Tree::T1 => 2,
        }
    }
}

/// One server as the trees know it (HAProxy's `lb_node`, `npos`, `lpos`, `rweight` and the
/// committed `cur_*` state beside the `next_*` one being applied).
#[derive(Debug)]
struct Node {
    server: Weak<ServerRt>,
    /// `lb_tree`: the tree the server belongs to, kept while it is briefly out of it.
    tree: Option<Tree>,
    /// Where it is linked now: (tree, key, insertion number).
    linked: Option<(Tree, u32, u64)>,
    npos: i64,
    lpos: i64,
    rweight: i64,
    cur_eweight: i64,
    cur_usable: bool,
    next_eweight: i64,
    next_usable: bool,
}

impl Node {
    fn currently_usable(&self) -> bool {
        self.cur_usable && self.cur_eweight > 0
    }

    fn will_be_usable(&self) -> bool {
        self.next_usable && self.next_eweight > 0
    }
}

#[derive(Debug, Default)]
pub struct Fwrr {
    curr_pos: i64,
    curr_weight: i64,
    next_weight: i64,
    /// Which of T0 and T1 is `init`; the other is `next`.
    init_is_t0: bool,
    /// Sorted by (key, insertion number): equal keys keep insertion order, as HAProxy's trees
    /// keep duplicates.
    trees: [BTreeSet<(u32, u64, usize)>; 3],
    nodes: Vec<Node>,
    inserted: u64,
    /// For each server of the list last seen, its node; rebuilt when the list changes.
    of_server: Vec<usize>,
    list: usize,
    started: bool,
}

impl Fwrr {
    fn init_tree(&self) -> Tree {
        if self.init_is_t0 {
            Tree::T0
        } else {
            Tree::T1
        }
    }

    fn next_tree(&self) -> Tree {
        if self.init_is_t0 {
            Tree::T1
        } else {
            Tree::T0
        }
    }

    fn link(&mut self, n: usize, tree: Tree, key: u32) {
        self.inserted += 1;
        self.trees[tree.slot()].insert((key, self.inserted, n));
        self.nodes[n].linked = Some((tree, key, self.inserted));
        self.nodes[n].tree = Some(tree);
    }

    /// `fwrr_dequeue_srv`: out of its tree, which it still belongs to.
    fn dequeue(&mut self, n: usize) {
        if let Some((tree, key, seq)) = self.nodes[n].linked.take() {
            self.trees[tree.slot()].remove(&(key, seq, n));
        }
    }

    fn queue_by_weight(&mut self, n: usize, tree: Tree) {
        let key = (EWEIGHT_MAX - self.nodes[n].next_eweight) as u32;
        self.link(n, tree, key);
    }

    /// `fwrr_queue_srv`: into the current tree at its next position, or into the next tree when
    /// that position is beyond this round.
    fn queue(&mut self, n: usize) {
        let (next_tree, curr_weight, next_weight) =
            (self.next_tree(), self.curr_weight, self.next_weight);
        let node = &mut self.nodes[n];
        if !node.will_be_usable() {
            node.tree = None;
        } else if node.npos >= 2 * curr_weight || node.npos >= curr_weight + next_weight {
            node.npos -= curr_weight;
            self.queue_by_weight(n, next_tree);
        } else {
            let key = UWEIGHT_RANGE * node.npos
                + (EWEIGHT_MAX + node.rweight - node.next_eweight) / WEIGHT_SCALE;
            self.link(n, Tree::Curr, key as u32);
        }
    }

    /// `fwrr_get_srv`: a position to restart from, by where the server was.
    fn restart_position(&mut self, n: usize) {
        let (init, next, curr_weight, curr_pos) = (
            self.init_tree(),
            self.next_tree(),
            self.curr_weight,
            self.curr_pos,
        );
        let node = &mut self.nodes[n];
        match node.tree {
            Some(t) if t == init => {
                node.npos = 0;
                node.rweight = 0;
            }
            Some(t) if t == next => node.npos += curr_weight,
            None => node.npos = curr_pos,
            Some(_) => {}
        }
    }

    fn first(&self, tree: Tree) -> Option<usize> {
        self.trees[tree.slot()].first().map(|&(_, _, n)| n)
    }

    /// `fwrr_get_server_from_group`.
    fn group_head(&mut self) -> Option<usize> {
        let s1 = self.first(Tree::Curr);
        if let Some(n) = s1 {
            let node = &self.nodes[n];
            if node.cur_eweight > 0 && node.npos <= self.curr_pos {
                return Some(n);
            }
        }
        if let Some(n) = self.first(self.init_tree()) {
            if self.nodes[n].cur_eweight > 0 {
                self.nodes[n].npos = 0;
                self.nodes[n].rweight = 0;
                return Some(n);
            }
        }
        s1
    }

    fn switch_trees(&mut self) {
        self.init_is_t0 = !self.init_is_t0;
        self.curr_weight = self.next_weight;
        self.curr_pos = self.curr_weight;
    }

    fn update_position(&mut self, n: usize) {
        let (curr_pos, next_weight) = (self.curr_pos, self.next_weight);
        let node = &mut self.nodes[n];
        let ew = node.cur_eweight;
        if ew == 0 {
            return;
        }
        if node.npos == 0 {
            node.npos = curr_pos;
        }
        node.lpos = node.npos;
        node.npos += next_weight / ew;
        node.rweight += next_weight % ew;
        if node.rweight >= ew {
            node.rweight -= ew;
            node.npos += 1;
        }
    }

    fn commit(&mut self, n: usize) {
        let node = &mut self.nodes[n];
        node.cur_eweight = node.next_eweight;
        node.cur_usable = node.next_usable;
    }

    fn set_up(&mut self, n: usize) {
        self.next_weight += self.nodes[n].next_eweight;
        self.restart_position(n);
        let node = &mut self.nodes[n];
        node.npos = self.curr_pos
            + (self.next_weight + self.curr_weight - self.curr_pos) / node.next_eweight;
        self.queue(n);
        self.commit(n);
    }

    fn set_down(&mut self, n: usize) {
        self.next_weight -= self.nodes[n].cur_eweight;
        self.dequeue(n);
        self.nodes[n].tree = None;
        self.commit(n);
    }

    /// `fwrr_update_server_weight`, which also covers a server going up or down.
    fn update(&mut self, n: usize) {
        let (old, new) = (
            self.nodes[n].currently_usable(),
            self.nodes[n].will_be_usable(),
        );
        match (old, new) {
            (false, false) => return self.commit(n),
            (false, true) => return self.set_up(n),
            (true, false) => return self.set_down(n),
            (true, true) => {}
        }
        let node = &self.nodes[n];
        self.next_weight = self.next_weight - node.cur_eweight + node.next_eweight;
        match node.tree {
            Some(t) if t == self.init_tree() => {
                self.dequeue(n);
                self.queue_by_weight(n, t);
            }
            None => {
                self.dequeue(n);
                self.restart_position(n);
                let node = &mut self.nodes[n];
                node.npos = self.curr_pos
                    + (self.next_weight + self.curr_weight - self.curr_pos) / node.next_eweight;
                self.queue(n);
            }
            Some(_) => {
                self.restart_position(n);
                let (curr_pos, next_weight) = (self.curr_pos, self.next_weight);
                let node = &mut self.nodes[n];
                let step = next_weight / node.next_eweight;
                let prev_next = node.npos;
                node.npos = (node.lpos + step).min(prev_next);
                node.rweight = 0;
                if node.npos < curr_pos + 2 {
                    node.npos = curr_pos + step;
                }
                self.dequeue(n);
                self.queue(n);
            }
        }
        self.commit(n);
    }

    /// Builds the trees as HAProxy does when the backend starts (call it with the servers in
    /// their starting state), or brings them up to date with the active servers of `servers`,
    /// change by change.
    pub fn sync(&mut self, servers: &[Arc<ServerRt>]) {
        let id = servers.as_ptr() as usize;
        if !self.started || self.list != id || self.of_server.len() != servers.len() {
            // A server deleted since the last pick leaves the trees as it would have when it
            // went into maintenance.
            for n in 0..self.nodes.len() {
                let node = &self.nodes[n];
                let gone = !servers
                    .iter()
                    .any(|s| std::ptr::eq(node.server.as_ptr(), Arc::as_ptr(s)));
                if gone && node.currently_usable() {
                    self.nodes[n].next_usable = false;
                    self.update(n);
                }
            }
            self.of_server = servers
                .iter()
                .map(|s| {
                    self.nodes
                        .iter()
                        .position(|n| std::ptr::eq(n.server.as_ptr(), Arc::as_ptr(s)))
                        .unwrap_or_else(|| {
                            let ew = s.eweight(true) as i64;
                            self.nodes.push(Node {
                                server: Arc::downgrade(s),
                                tree: None,
                                linked: None,
                                npos: 0,
                                lpos: 0,
                                rweight: 0,
                                cur_eweight: ew,
                                // Known to the trees once `sync` sees it usable, except for
                                // the servers present at start (below).
                                cur_usable: false,
                                next_eweight: ew,
                                next_usable: false,
                            });
                            self.nodes.len() - 1
                        })
                })
                .collect();
            self.list = id;
        }
        if !self.started {
            self.started = true;
            self.init_is_t0 = true;
            let mut total = 0;
            for (s, &n) in servers.iter().zip(&self.of_server) {
                if s.backup {
                    continue;
                }
                let node = &mut self.nodes[n];
                node.cur_usable = s.is_usable();
                node.next_usable = node.cur_usable;
                if node.currently_usable() {
                    total += node.cur_eweight;
                }
            }
            self.curr_pos = total;
            self.curr_weight = total;
            self.next_weight = total;
            for (s, &n) in servers.iter().zip(&self.of_server.clone()) {
                if !s.backup && self.nodes[n].currently_usable() {
                    let init = self.init_tree();
                    self.queue_by_weight(n, init);
                }
            }
            return;
        }
        for (s, n) in servers.iter().zip(self.of_server.clone()) {
            if s.backup {
                continue;
            }
            let (usable, ew) = (s.is_usable(), s.eweight(true) as i64);
            let node = &mut self.nodes[n];
            if node.cur_usable != usable || node.cur_eweight != ew {
                node.next_usable = usable;
                node.next_eweight = ew;
                self.update(n);
            }
        }
    }

    /// `fwrr_get_next_server`: the next server in turn that `free` accepts, stepping over
    /// `avoid` unless it is the only one; servers passed over keep their turn.
    pub fn next(
        &mut self,
        servers: &[Arc<ServerRt>],
        avoid: Option<usize>,
        free: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.sync(servers);
        let server_of = |fwrr: &Fwrr, n: usize| fwrr.of_server.iter().position(|&m| m == n);
        let avoid = avoid.map(|i| self.of_server[i]);
        let mut switched = false;
        let mut avoided = None;
        let mut full: Vec<usize> = Vec::new();
        let mut chosen = None;
        'outer: loop {
            if self.curr_weight == 0 {
                self.curr_pos = self.next_weight;
                self.curr_weight = self.next_weight;
            }
            let n = loop {
                if let Some(n) = self.group_head() {
                    break n;
                }
                if switched {
                    if let Some(a) = avoided {
                        chosen = Some(a);
                        self.queue(a);
                    }
                    break 'outer;
                }
                switched = true;
                self.switch_trees();
            };
            self.update_position(n);
            self.dequeue(n);
            self.curr_pos += 1;
            let is_free = server_of(self, n).is_some_and(&free);
            if is_free {
                if Some(n) != avoid || avoided.is_some() {
                    chosen = Some(n);
                    self.queue(n);
                    break;
                }
                avoided = Some(n);
            }
            full.push(n);
        }
        // Servers passed over, the last one first as HAProxy chains them: back where they would
        // be had they been picked, or by weight into the new round after a switch.
        for &n in full.iter().rev() {
            if Some(n) == chosen {
                continue;
            }
            if switched {
                let init = self.init_tree();
                self.queue_by_weight(n, init);
            } else {
                self.queue(n);
            }
        }
        chosen.and_then(|n| server_of(self, n))
    }
}
