//! HAProxy's `roundrobin` (`lb_fwrr.c`): each server waits in a tree keyed by the position at
//! which it should next be picked, so weights interleave as HAProxy interleaves them (3:1 gives
//! a,a,a,b) and servers that leave, come back or change weight are put back where HAProxy puts
//! them. Actives and backups have trees of their own; the backups' serve only with `option
//! allbackups` (without it HAProxy uses the first usable backup directly).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::roster::{Change, Roster};
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

/// A server's place: HAProxy's `lb_tree`, `lb_node`, `npos`, `lpos` and `rweight`.
#[derive(Debug, Default, Clone)]
struct Place {
    /// The tree the server belongs to, kept while it is briefly out of it.
    tree: Option<Tree>,
    /// Where it is linked now: (tree, key, insertion number).
    linked: Option<(Tree, u32, u64)>,
    npos: i64,
    lpos: i64,
    rweight: i64,
}

#[derive(Debug, Default)]
pub struct Fwrr {
    roster: Roster,
    places: Vec<Place>,
    curr_pos: i64,
    curr_weight: i64,
    next_weight: i64,
    /// Which of T0 and T1 is `init`; the other is `next`.
    init_is_t1: bool,
    /// Sorted by (key, insertion number): equal keys keep insertion order, as HAProxy's trees
    /// keep duplicates.
    trees: [BTreeSet<(u32, u64, usize)>; 3],
    inserted: u64,
}

impl Fwrr {
    /// The backups' trees.
    pub fn backups() -> Fwrr {
        Fwrr {
            roster: Roster::backups(),
            ..Fwrr::default()
        }
    }

    fn init_tree(&self) -> Tree {
        if self.init_is_t1 {
            Tree::T1
        } else {
            Tree::T0
        }
    }

    fn next_tree(&self) -> Tree {
        if self.init_is_t1 {
            Tree::T0
        } else {
            Tree::T1
        }
    }

    fn link(&mut self, n: usize, tree: Tree, key: u32) {
        self.inserted += 1;
        self.trees[tree.slot()].insert((key, self.inserted, n));
        self.places[n].linked = Some((tree, key, self.inserted));
        self.places[n].tree = Some(tree);
    }

    /// `fwrr_dequeue_srv`: out of its tree, which it still belongs to.
    fn dequeue(&mut self, n: usize) {
        if let Some((tree, key, seq)) = self.places[n].linked.take() {
            self.trees[tree.slot()].remove(&(key, seq, n));
        }
    }

    fn queue_by_weight(&mut self, n: usize, tree: Tree) {
        let key = (EWEIGHT_MAX - self.roster.seen[n].next_eweight) as u32;
        self.link(n, tree, key);
    }

    /// `fwrr_queue_srv`: into the current tree at its next position, or into the next tree when
    /// that position is beyond this round.
    fn queue(&mut self, n: usize) {
        let seen = &self.roster.seen[n];
        let (usable, eweight) = (seen.will_be_usable(), seen.next_eweight);
        let place = &mut self.places[n];
        if !usable {
            place.tree = None;
        } else if place.npos >= 2 * self.curr_weight
            || place.npos >= self.curr_weight + self.next_weight
        {
            place.npos -= self.curr_weight;
            self.queue_by_weight(n, self.next_tree());
        } else {
            let key =
                UWEIGHT_RANGE * place.npos + (EWEIGHT_MAX + place.rweight - eweight) / WEIGHT_SCALE;
            self.link(n, Tree::Curr, key as u32);
        }
    }

    /// `fwrr_get_srv`: a position to restart from, by where the server was.
    fn restart_position(&mut self, n: usize) {
        let (init, next) = (self.init_tree(), self.next_tree());
        let place = &mut self.places[n];
        match place.tree {
            Some(t) if t == init => {
                place.npos = 0;
                place.rweight = 0;
            }
            Some(t) if t == next => place.npos += self.curr_weight,
            None => place.npos = self.curr_pos,
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
            if self.roster.seen[n].cur_eweight > 0 && self.places[n].npos <= self.curr_pos {
                return Some(n);
            }
        }
        if let Some(n) = self.first(self.init_tree()) {
            if self.roster.seen[n].cur_eweight > 0 {
                self.places[n].npos = 0;
                self.places[n].rweight = 0;
                return Some(n);
            }
        }
        s1
    }

    fn switch_trees(&mut self) {
        self.init_is_t1 = !self.init_is_t1;
        self.curr_weight = self.next_weight;
        self.curr_pos = self.curr_weight;
    }

    fn update_position(&mut self, n: usize) {
        let eweight = self.roster.seen[n].cur_eweight;
        if eweight == 0 {
            return;
        }
        let place = &mut self.places[n];
        if place.npos == 0 {
            place.npos = self.curr_pos;
        }
        place.lpos = place.npos;
        place.npos += self.next_weight / eweight;
        place.rweight += self.next_weight % eweight;
        if place.rweight >= eweight {
            place.rweight -= eweight;
            place.npos += 1;
        }
    }

    /// The position a server coming (back) into the round gets.
    fn entry_position(&mut self, n: usize) {
        self.restart_position(n);
        let eweight = self.roster.seen[n].next_eweight;
        self.places[n].npos =
            self.curr_pos + (self.next_weight + self.curr_weight - self.curr_pos) / eweight;
        self.queue(n);
    }

    /// `fwrr_update_server_weight`, which also covers a server going up (`set_server_status_up`)
    /// or down (`set_server_status_down`).
    fn update(&mut self, n: usize) {
        let seen = &self.roster.seen[n];
        let (cur, next) = (seen.cur_eweight, seen.next_eweight);
        match (seen.currently_usable(), seen.will_be_usable()) {
            (false, false) => {}
            (false, true) => {
                self.next_weight += next;
                self.entry_position(n);
            }
            (true, false) => {
                self.next_weight -= cur;
                self.dequeue(n);
                self.places[n].tree = None;
            }
            (true, true) => {
                self.next_weight = self.next_weight - cur + next;
                match self.places[n].tree {
                    Some(t) if t == self.init_tree() => {
                        self.dequeue(n);
                        self.queue_by_weight(n, t);
                    }
                    None => {
                        self.dequeue(n);
                        self.entry_position(n);
                    }
                    Some(_) => {
                        self.restart_position(n);
                        let step = self.next_weight / next;
                        let place = &mut self.places[n];
                        place.npos = (place.lpos + step).min(place.npos);
                        place.rweight = 0;
                        if place.npos < self.curr_pos + 2 {
                            place.npos = self.curr_pos + step;
                        }
                        self.dequeue(n);
                        self.queue(n);
                    }
                }
            }
        }
        self.roster.seen[n].commit();
    }

    /// Brings the trees up to date with `servers`, building them the first time as HAProxy does
    /// when the backend starts (so call it once with the servers in their starting state).
    pub fn sync(&mut self, servers: &[Arc<ServerRt>]) {
        let change = self.roster.look(servers);
        self.places.resize(self.roster.seen.len(), Place::default());
        match change {
            Change::Start(usable) => {
                let total = usable
                    .iter()
                    .map(|&n| self.roster.seen[n].cur_eweight)
                    .sum();
                self.curr_pos = total;
                self.curr_weight = total;
                self.next_weight = total;
                for n in usable {
                    self.queue_by_weight(n, self.init_tree());
                }
            }
            Change::Moved(moved) => {
                for n in moved {
                    self.update(n);
                }
            }
        }
    }

    /// `fwrr_get_next_server`: the next server in turn (its list position) that `free` accepts,
    /// stepping over `avoid` unless it is the only one; servers passed over keep their turn.
    pub fn next(
        &mut self,
        servers: &[Arc<ServerRt>],
        avoid: Option<usize>,
        free: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.sync(servers);
        let avoid = avoid.map(|i| self.roster.of(i));
        let mut switched = false;
        let mut avoided = None;
        let mut passed: Vec<usize> = Vec::new();
        let mut chosen = None;
        'search: loop {
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
                    break 'search;
                }
                switched = true;
                self.switch_trees();
            };
            self.update_position(n);
            self.dequeue(n);
            self.curr_pos += 1;
            if self.roster.position(n).is_some_and(&free) {
                if Some(n) != avoid || avoided.is_some() {
                    chosen = Some(n);
                    self.queue(n);
                    break;
                }
                avoided = Some(n);
            }
            passed.push(n);
        }
        // Servers passed over, the last one first as HAProxy chains them: back where they would
        // be had they been picked, or by weight into the new round after a switch.
        for &n in passed.iter().rev() {
            if Some(n) == chosen {
                continue;
            }
            if switched {
                self.queue_by_weight(n, self.init_tree());
            } else {
                self.queue(n);
            }
        }
        chosen.and_then(|n| self.roster.position(n))
    }
}
