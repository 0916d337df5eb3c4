//! Checks of the reverse IR, run on every expansion (see [`verify`]):
//!
//! - **stacks**: every stack is pushed at one place of the forward sweep and popped at one
//!   place of the reverse sweep, in the mirror of the scope that pushes it (the reversed loop of
//!   the same loop, the replayed side of the same branch; a `while` loop's trip count is pushed
//!   after the loop and popped before its reverse, in the scope around both), so each pop gets
//!   back the value of the matching push, last in first out; a local slot is saved once, at the top level, before it is
//!   read;
//! - **values**: the reverse sweep is run symbolically. Every write of the forward sweep gives
//!   the variable a new version; restores, rebinds and recomputations give back the version
//!   they saved; a reverse companion's call leaves its `&mut` arguments in an unknown version.
//!   Every primal value that an adjoint reads must be in scope and have the version it had when
//!   the statement being differentiated ran forwards; a recomputed binding must read what its
//!   `let` read; a reversed loop must leave every variable that its body's adjoints read at the
//!   version it had at the start of the iteration, ready for the previous iteration.

use super::{Cond, RevFunction, RevStmt, Saved, Slot};
use crate::ir::{Function, Init, Place, StmtId, VarId};
use std::collections::{HashMap, HashSet};

/// The problems of `ir`, the reverse IR of a companion of `f` (empty when there are none).
pub fn verify(f: &Function, ir: &RevFunction) -> Vec<String> {
    let mut v = Verifier {
        f,
        next: 0,
        wanted: HashMap::new(),
        at: HashMap::new(),
        lets: HashMap::new(),
        places: HashMap::new(),
        unpushed: HashMap::new(),
        saved: HashMap::new(),
        pushes: HashMap::new(),
        pops: HashMap::new(),
        loops: HashMap::new(),
        branches: HashMap::new(),
        decisions: HashMap::new(),
        restored_args: HashMap::new(),
        problems: Vec::new(),
    };
    for part in [&ir.seed, &ir.reverse] {
        v.collect_wanted(part);
    }
    let mut state = State::new();
    for p in &f.params {
        let ver = v.fresh();
        state.insert(p.var, ver);
    }
    v.forward(&ir.forward, &mut state, &[]);
    v.forward(&ir.finals, &mut state, &[]);
    v.record(None, &mut state.clone());
    let mut frame = Frame::default();
    v.reverse(&ir.seed, &mut state, &[], &mut frame);
    v.reverse(&ir.reverse, &mut state, &[], &mut frame);
    for stack in &ir.stacks {
        match (
            v.pushes.get(&stack.to_string()),
            v.pops.get(&stack.to_string()),
        ) {
            (Some(push), Some(pop)) if push == pop => {}
            (Some(push), Some(pop)) => v.problem(format!(
                "stack `{stack}` is pushed in scope {push:?} but popped in scope {pop:?}"
            )),
            (None, _) => v.problem(format!("stack `{stack}` is never pushed")),
            (_, None) => v.problem(format!("stack `{stack}` is never popped")),
        }
    }
    for name in v.pushes.keys() {
        if !ir.stacks.iter().any(|s| s == name) {
            v.problems.push(format!("stack `{name}` is not declared"));
        }
    }
    v.problems
}

/// The version of every variable in scope.
type State = HashMap<VarId, u32>;

/// Variables read and their versions there (`None`: out of scope).
type Versions = Vec<(VarId, Option<u32>)>;

/// A scope of the forward sweep, and its mirror in the reverse sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Scope {
    /// The body of the loop over this variable.
    Loop(VarId),
    /// One side of the branch with this decision (`None` for a branch without a replay).
    Branch(Option<String>, bool),
}

/// What the forward sweep of a loop did to the variables.
struct LoopInfo {
    /// Versions at the start of an iteration.
    entry: State,
    /// Versions at the end of an iteration.
    end: State,
    /// Versions after the loop.
    after: State,
    /// Versions before the loop.
    before: State,
}

/// What the forward sweep of a branch did to the variables.
struct BranchInfo {
    ends: [State; 2],
    after: State,
}

/// Per reversed scope: the variables whose version at the start of the scope's reverse was read.
#[derive(Default)]
struct Frame {
    started: HashSet<VarId>,
    read_at_start: HashSet<VarId>,
}

struct Verifier<'f> {
    f: &'f Function,
    next: u32,
    /// The variables each statement's adjoint reads (`None`: the result's).
    wanted: HashMap<Option<StmtId>, Vec<VarId>>,
    /// Their versions when the statement ran forwards.
    at: HashMap<Option<StmtId>, Versions>,
    /// Per binding: the versions its initialiser read, and its own.
    lets: HashMap<VarId, (Versions, u32)>,
    /// Per assignment to an element: the versions its index read.
    places: HashMap<StmtId, Versions>,
    /// Per push: the version of the `Vec` before it, which taking the element off gives back
    /// (`None` when the push is skipped).
    unpushed: HashMap<StmtId, Option<u32>>,
    /// Per slot: the variable and version saved in it (`None` for a decision).
    saved: HashMap<String, Option<(VarId, u32)>>,
    pushes: HashMap<String, Vec<Scope>>,
    pops: HashMap<String, Vec<Scope>>,
    loops: HashMap<VarId, LoopInfo>,
    branches: HashMap<String, BranchInfo>,
    /// Slot name -> the decision it holds.
    decisions: HashMap<String, String>,
    /// `before` name of a restored argument -> the version it restored.
    restored_args: HashMap<String, (VarId, u32)>,
    problems: Vec<String>,
}

impl Verifier<'_> {
    fn problem(&mut self, p: String) {
        self.problems.push(p);
    }

    fn fresh(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    fn name(&self, v: VarId) -> &str {
        &self.f.vars[v].name
    }

    fn collect_wanted(&mut self, stmts: &[RevStmt]) {
        for s in stmts {
            match s {
                RevStmt::Adjoint { id, reads, .. } => {
                    self.wanted.entry(*id).or_default().extend(reads);
                }
                RevStmt::ReverseFor { body, .. } | RevStmt::ReverseWhile { body, .. } => {
                    self.collect_wanted(body)
                }
                RevStmt::Replay { then, els, .. } => {
                    self.collect_wanted(then);
                    self.collect_wanted(els);
                }
                _ => {}
            }
        }
    }

    /// Records the versions of what statement `id`'s adjoint reads, before it runs.
    fn record(&mut self, id: Option<StmtId>, state: &mut State) {
        if let Some(vars) = self.wanted.get(&id) {
            let versions = vars.iter().map(|v| (*v, state.get(v).copied())).collect();
            self.at.insert(id, versions);
        }
    }

    fn versions(reads: &[VarId], state: &State) -> Versions {
        reads.iter().map(|v| (*v, state.get(v).copied())).collect()
    }

    fn write(&mut self, v: VarId, state: &mut State) {
        let ver = self.fresh();
        state.insert(v, ver);
    }

    fn save(&mut self, slot: &Slot, value: Option<(VarId, u32)>, scope: &[Scope]) {
        let name = slot.name.to_string();
        if slot.stack {
            if self.pushes.insert(name.clone(), scope.to_vec()).is_some() {
                self.problem(format!("stack `{name}` is pushed at two places"));
            }
        } else if !scope.is_empty() {
            self.problem(format!("local `{name}` is saved inside a loop or branch"));
        }
        if self.saved.insert(name.clone(), value).is_some() && !slot.stack {
            self.problem(format!("local `{name}` is saved twice"));
        }
    }

    /// The variable and version saved in `slot`, recording a pop in `scope`.
    fn load(&mut self, slot: &Slot, scope: &[Scope]) -> Option<Option<(VarId, u32)>> {
        let name = slot.name.to_string();
        if slot.stack && self.pops.insert(name.clone(), scope.to_vec()).is_some() {
            self.problem(format!("stack `{name}` is popped at two places"));
        }
        let saved = self.saved.get(&name).copied();
        if saved.is_none() {
            self.problem(format!("`{name}` is read before anything is saved in it"));
        }
        saved
    }

    /// Puts back the version of `var` saved in `slot`.
    fn restore(&mut self, var: VarId, slot: &Slot, state: &mut State, scope: &[Scope]) -> u32 {
        match self.load(slot, scope) {
            Some(Some((w, ver))) if w == var => {
                state.insert(var, ver);
                ver
            }
            Some(_) => {
                let msg = format!(
                    "`{}` is restored from `{}`, which holds another value",
                    self.name(var),
                    slot.name
                );
                self.problem(msg);
                0
            }
            None => 0,
        }
    }

    fn forward(&mut self, stmts: &[RevStmt], state: &mut State, scope: &[Scope]) {
        for s in stmts {
            match s {
                RevStmt::Skipped { id } => {
                    // A skipped push leaves its `Vec` as it was, and so does taking off the
                    // element it did not push (`pop` of what is there, which nothing reads).
                    self.unpushed.insert(*id, None);
                    self.record(Some(*id), state)
                }
                RevStmt::Let { id, var, init } => {
                    self.record(Some(*id), state);
                    let mut reads = Vec::new();
                    init.reads(&mut reads);
                    let versions = Self::versions(&reads, state);
                    self.write(*var, state);
                    self.lets.insert(*var, (versions, state[var]));
                }
                RevStmt::Assign { id, place, .. } => {
                    self.record(Some(*id), state);
                    if let Place::Index(_, i) = place {
                        let mut reads = Vec::new();
                        i.value_reads(&mut reads);
                        self.places.insert(*id, Self::versions(&reads, state));
                    }
                    if let Place::Push(v, _) = place {
                        self.unpushed.insert(*id, state.get(v).copied());
                    }
                    self.write(place.var(), state);
                }
                // It runs at its forward position and writes nothing: it reads the current
                // forward values, which need no save.
                RevStmt::Assert { id, .. } => self.record(Some(*id), state),
                RevStmt::Call { id, call } => {
                    self.record(Some(*id), state);
                    for a in &call.args {
                        if let crate::ir::Arg::ArrayMut { var, .. } = a {
                            self.write(*var, state);
                        }
                    }
                    for r in &call.results {
                        self.write(*r, state);
                    }
                }
                RevStmt::Save { slot, value, .. } => {
                    let var = match value {
                        Saved::Place { place, .. } => Some(place.var()),
                        Saved::Var(v) | Saved::ArrayCopy(v) => Some(*v),
                        Saved::Decision(t) => {
                            self.decisions.insert(slot.name.to_string(), t.to_string());
                            None
                        }
                    };
                    let value = match var {
                        Some(v) => match state.get(&v) {
                            Some(ver) => Some((v, *ver)),
                            None => {
                                let msg = format!("`{}` is saved out of its scope", self.name(v));
                                self.problem(msg);
                                None
                            }
                        },
                        None => None,
                    };
                    self.save(slot, value, scope);
                }
                RevStmt::Decide { name, .. } => {
                    // At the top level the decision's local is still in scope in the reverse
                    // sweep; inside a loop or branch it must be saved.
                    if scope.is_empty() {
                        let slot = Slot {
                            name: name.clone(),
                            stack: false,
                        };
                        self.decisions.insert(name.to_string(), name.to_string());
                        self.save(&slot, None, scope);
                    }
                }
                RevStmt::Zero(v) => {
                    if !self.f.vars[*v].kind.static_shape() && !state.contains_key(v) {
                        let msg = format!(
                            "the adjoint of `{}` takes its shape out of its scope",
                            self.name(*v)
                        );
                        self.problem(msg);
                    }
                }
                RevStmt::For { var, body, .. } => self.forward_loop(*var, body, state, scope),
                // A `while` is checked as a loop keyed by its trip counter, which holds its
                // count after it.
                RevStmt::While { trips, body, .. } => {
                    self.forward_loop(*trips, body, state, scope);
                    self.write(*trips, state);
                }
                RevStmt::If { cond, then, els } => {
                    self.forward_branch(cond, [then, els], state, scope)
                }
                RevStmt::FinalCopy { .. } | RevStmt::ResultPart { .. } => {}
                _ => self.problem(format!(
                    "a statement of the reverse sweep in the forward sweep: {s:?}"
                )),
            }
        }
    }

    /// The forward sweep of the loop over `var`, recorded for its reverse.
    fn forward_loop(&mut self, var: VarId, body: &[RevStmt], state: &mut State, scope: &[Scope]) {
        let before = state.clone();
        let written = writes(body);
        let mut entry = before.clone();
        for w in written.iter().chain([&var]) {
            if entry.contains_key(w) || *w == var {
                let ver = self.fresh();
                entry.insert(*w, ver);
            }
        }
        let mut inner = entry.clone();
        let mut scope = scope.to_vec();
        scope.push(Scope::Loop(var));
        self.forward(body, &mut inner, &scope);
        let mut after = before.clone();
        for (w, ver) in after.iter_mut() {
            if inner.get(w) != entry.get(w) {
                self.next += 1;
                *ver = self.next;
            }
        }
        *state = after.clone();
        self.loops.insert(
            var,
            LoopInfo {
                entry,
                end: inner,
                after,
                before,
            },
        );
    }

    /// The forward sweep of a branch, recorded for its replay.
    fn forward_branch(
        &mut self,
        cond: &Cond,
        sides: [&Vec<RevStmt>; 2],
        state: &mut State,
        scope: &[Scope],
    ) {
        let key = match cond {
            Cond::Expr(_) => None,
            Cond::Decision(t) => Some(t.to_string()),
        };
        let mut ends = [state.clone(), state.clone()];
        for (side, body) in sides.into_iter().enumerate() {
            let mut scope = scope.to_vec();
            scope.push(Scope::Branch(key.clone(), side == 0));
            self.forward(body, &mut ends[side], &scope);
        }
        let mut after = state.clone();
        for (w, ver) in after.iter_mut() {
            if ends[0].get(w) != ends[1].get(w) || ends[0].get(w) != Some(ver) {
                self.next += 1;
                *ver = self.next;
            }
        }
        *state = after.clone();
        if let Some(key) = key {
            self.branches.insert(key, BranchInfo { ends, after });
        }
    }

    /// Checks that `var` has the version `want` (its version when the statement ran forwards).
    fn check(
        &mut self,
        var: VarId,
        want: Option<u32>,
        what: &str,
        state: &State,
        frame: &mut Frame,
    ) {
        match (state.get(&var), want) {
            (None, _) => {
                let msg = format!(
                    "{what} reads `{}`, which is not in scope there",
                    self.name(var)
                );
                self.problem(msg);
            }
            (Some(have), Some(want)) if *have == want => {
                if !frame.started.contains(&var) {
                    frame.read_at_start.insert(var);
                }
            }
            (Some(_), _) => {
                let msg = format!(
                    "{what} reads `{}`, which is overwritten after that statement and not restored",
                    self.name(var)
                );
                self.problem(msg);
            }
        }
    }

    fn set(&mut self, var: VarId, ver: u32, state: &mut State, frame: &mut Frame) {
        state.insert(var, ver);
        frame.started.insert(var);
    }

    fn reverse(
        &mut self,
        stmts: &[RevStmt],
        state: &mut State,
        scope: &[Scope],
        frame: &mut Frame,
    ) {
        for s in stmts {
            match s {
                RevStmt::Restore { id, place, slot } => {
                    // The element restored is the one the assignment wrote.
                    let index = self.places.get(id).cloned().unwrap_or_default();
                    let what = format!("the restore of `{}`", self.name(place.var()));
                    for (v, ver) in index {
                        self.check(v, ver, &what, state, frame);
                    }
                    self.restore(place.var(), slot, state, scope);
                    frame.started.insert(place.var());
                }
                RevStmt::Rebind { var, slot } | RevStmt::RestoreArray { var, slot, .. } => {
                    self.restore(*var, slot, state, scope);
                    frame.started.insert(*var);
                }
                RevStmt::Recompute { var, init } => self.recompute(*var, init, state, frame),
                RevStmt::Unpush { id, var } => match self.unpushed.get(id).copied() {
                    Some(Some(ver)) => self.set(*var, ver, state, frame),
                    Some(None) => {}
                    None => self.problem(format!(
                        "`{}` is taken off without its push in the forward sweep",
                        self.name(*var)
                    )),
                },
                RevStmt::Zero(_) | RevStmt::Declare { .. } => {}
                RevStmt::Adjoint { id, reads, body } => {
                    let what = match id {
                        Some(id) => format!("the adjoint of statement {}", id.0),
                        None => "the adjoint of the result".to_string(),
                    };
                    let want = self.at.get(id).cloned().unwrap_or_default();
                    for v in reads {
                        let ver = want.iter().find(|(w, _)| w == v).and_then(|(_, ver)| *ver);
                        self.check(*v, ver, &what, state, frame);
                    }
                    // A reverse companion leaves the `&mut` arguments in an unknown state.
                    for s in body {
                        if let RevStmt::ReverseCall { call, .. } = s {
                            for a in &call.args {
                                if let crate::ir::Arg::ArrayMut { var, .. } = a {
                                    let ver = self.fresh();
                                    self.set(*var, ver, state, frame);
                                }
                            }
                        }
                    }
                }
                RevStmt::RestoreArg {
                    var, before, slot, ..
                } => {
                    let ver = self.restore(*var, slot, state, scope);
                    frame.started.insert(*var);
                    self.restored_args.insert(before.to_string(), (*var, ver));
                }
                RevStmt::RestoreAgain { var, before, .. } => {
                    match self.restored_args.get(&before.to_string()).copied() {
                        Some((w, ver)) if w == *var => self.set(*var, ver, state, frame),
                        _ => {
                            let msg = format!(
                                "`{}` is restored again without a first restore",
                                self.name(*var)
                            );
                            self.problem(msg);
                        }
                    }
                }
                RevStmt::ReverseFor { var, body, .. } => {
                    self.reverse_loop(*var, body, state, scope, frame)
                }
                RevStmt::ReverseWhile { trips, slot, body } => {
                    match self.load(slot, scope) {
                        Some(Some((w, _))) if w == *trips => {}
                        Some(_) => {
                            let msg = format!(
                                "a `while` loop is reversed from `{}`, which holds no trip count of `{}`",
                                slot.name,
                                self.name(*trips)
                            );
                            self.problem(msg);
                        }
                        None => {}
                    }
                    // The counter is not bound in the reverse sweep.
                    state.remove(trips);
                    self.reverse_loop(*trips, body, state, scope, frame)
                }
                RevStmt::Gather(g) => self.gather(g, state, frame),
                RevStmt::Replay {
                    decision,
                    then,
                    els,
                } => self.replay(decision, [then, els], state, scope, frame),
                _ => self.problem(format!(
                    "a statement of the forward sweep in the reverse sweep: {s:?}"
                )),
            }
        }
    }

    /// A stencil loop's gather-form reverse: what it reads must have the version it had when
    /// the loop ran forwards (which does not write it); afterwards the arrays the loop wrote
    /// have unknown versions, as after a reversed loop that does not restore them.
    fn gather(&mut self, g: &super::Gather, state: &mut State, frame: &mut Frame) {
        let Some(info) = self.loops.remove(&g.var) else {
            let msg = format!(
                "the loop over `{}` is reversed but never run forwards",
                self.name(g.var)
            );
            return self.problem(msg);
        };
        let what = format!(
            "the gather-form adjoint of the loop over `{}`",
            self.name(g.var)
        );
        for v in &g.reads {
            if info.entry.get(v) != info.before.get(v) {
                let msg = format!("{what} reads `{}`, which the loop writes", self.name(*v));
                self.problem(msg);
            } else {
                self.check(*v, info.before.get(v).copied(), &what, state, frame);
            }
        }
        let written: Vec<VarId> = state
            .keys()
            .filter(|w| info.entry.get(w) != info.before.get(w))
            .copied()
            .collect();
        for w in written {
            let ver = self.fresh();
            self.set(w, ver, state, frame);
        }
    }

    fn recompute(&mut self, var: VarId, init: &Init, state: &mut State, frame: &mut Frame) {
        let Some((versions, own)) = self.lets.get(&var).cloned() else {
            let msg = format!("`{}` is recomputed but never bound", self.name(var));
            return self.problem(msg);
        };
        let mut reads = Vec::new();
        init.reads(&mut reads);
        let what = format!("the recomputation of `{}`", self.name(var));
        for v in reads {
            let want = versions
                .iter()
                .find(|(w, _)| *w == v)
                .and_then(|(_, ver)| *ver);
            self.check(v, want, &what, state, frame);
        }
        self.set(var, own, state, frame);
    }

    fn reverse_loop(
        &mut self,
        var: VarId,
        body: &[RevStmt],
        state: &mut State,
        scope: &[Scope],
        frame: &mut Frame,
    ) {
        let Some(info) = self.loops.remove(&var) else {
            let msg = format!(
                "the loop over `{}` is reversed but never run forwards",
                self.name(var)
            );
            return self.problem(msg);
        };
        // The last iteration's reverse starts where its forward ended.
        let mut inner = state.clone();
        for (w, end) in &info.end {
            if state.contains_key(w) && state.get(w) == info.after.get(w) {
                inner.insert(*w, *end);
            }
        }
        // `for i in range.rev()` binds the loop variable again.
        let Some(&bound) = info.entry.get(&var) else {
            let msg = format!(
                "the loop over `{}` is reversed but its variable was never bound forwards",
                self.name(var)
            );
            return self.problem(msg);
        };
        inner.insert(var, bound);
        let mut scope = scope.to_vec();
        scope.push(Scope::Loop(var));
        let mut inner_frame = Frame::default();
        self.reverse(body, &mut inner, &scope, &mut inner_frame);
        // The reverse of an iteration must leave what the next one (the one before) reads at
        // the version it had at the start of that iteration.
        for v in &inner_frame.read_at_start {
            if info.end.get(v) != info.entry.get(v) && inner.get(v) != info.entry.get(v) {
                let msg = format!(
                    "the reversed loop over `{}` reads `{}`, which its reverse does not restore for the previous iteration",
                    self.name(var),
                    self.name(*v)
                );
                self.problem(msg);
            }
        }
        let mut after = State::new();
        for (w, ver) in state.iter() {
            let written = info.entry.get(w) != info.before.get(w);
            let new = match inner.get(w) {
                Some(now) if !written => *now,
                Some(now) if Some(now) == info.entry.get(w) => match info.before.get(w) {
                    Some(before) => *before,
                    None => self.fresh(),
                },
                _ => self.fresh(),
            };
            after.insert(*w, new);
            if new != *ver {
                frame.started.insert(*w);
            }
        }
        for v in inner_frame.read_at_start {
            if !frame.started.contains(&v) && info.before.contains_key(&v) {
                frame.read_at_start.insert(v);
            }
        }
        *state = after;
    }

    fn replay(
        &mut self,
        decision: &Slot,
        sides: [&Vec<RevStmt>; 2],
        state: &mut State,
        scope: &[Scope],
        frame: &mut Frame,
    ) {
        let key = self.decisions.get(&decision.name.to_string()).cloned();
        self.load(decision, scope);
        let Some(info) = key.as_ref().and_then(|k| self.branches.remove(k)) else {
            let msg = format!(
                "a branch is replayed from `{}`, which holds no decision",
                decision.name
            );
            return self.problem(msg);
        };
        let mut ends = Vec::new();
        for (side, body) in sides.into_iter().enumerate() {
            let mut inner = state.clone();
            for (w, end) in &info.ends[side] {
                if state.contains_key(w) && state.get(w) == info.after.get(w) {
                    inner.insert(*w, *end);
                }
            }
            let mut scope = scope.to_vec();
            scope.push(Scope::Branch(key.clone(), side == 0));
            let mut inner_frame = Frame::default();
            self.reverse(body, &mut inner, &scope, &mut inner_frame);
            for v in inner_frame.read_at_start {
                if !frame.started.contains(&v) && state.contains_key(&v) {
                    frame.read_at_start.insert(v);
                }
            }
            ends.push(inner);
        }
        let mut after = State::new();
        for (w, ver) in state.iter() {
            let new = match (ends[0].get(w), ends[1].get(w)) {
                (Some(a), Some(b)) if a == b => *a,
                _ => self.fresh(),
            };
            if new != *ver {
                frame.started.insert(*w);
            }
            after.insert(*w, new);
        }
        *state = after;
    }
}

/// The variables a forward block writes.
fn writes(stmts: &[RevStmt]) -> Vec<VarId> {
    let mut out = Vec::new();
    for s in stmts {
        match s {
            RevStmt::Let { var, .. } => out.push(*var),
            RevStmt::Assign { place, .. } => out.push(place.var()),
            RevStmt::Call { call, .. } => {
                out.extend(&call.results);
                for a in &call.args {
                    if let crate::ir::Arg::ArrayMut { var, .. } = a {
                        out.push(*var);
                    }
                }
            }
            RevStmt::For { var, body, .. }
            | RevStmt::While {
                trips: var, body, ..
            } => {
                out.push(*var);
                out.extend(writes(body));
            }
            RevStmt::If { then, els, .. } => {
                out.extend(writes(then));
                out.extend(writes(els));
            }
            _ => {}
        }
    }
    out
}
