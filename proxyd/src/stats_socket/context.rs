//! What a command sees: the running model, the session's level, and the process handles it may
//! act on.

use std::sync::Arc;
use std::time::Duration;

use runtime_api::level::Level;

use crate::logging::Logger;
use crate::model::Model;
use crate::Shared;

pub struct Ctx {
    pub shared: Arc<Shared>,
    pub model: Arc<Model>,
    /// The session's current level (may be lowered by `operator`/`user`).
    pub level: Level,
    /// The socket's configured level: decides whether addresses are shown.
    pub socket_level: Level,
    pub interactive: bool,
    pub timeout: Duration,
    pub quit: bool,
    /// Set by a command whose answer HAProxy ends without the blank line (`del server`).
    pub bare: bool,
    /// `expert-mode on` / `experimental-mode on` in this session. proxyd has no command that
    /// needs either; scripts switch them on before `add server` out of habit.
    pub expert: bool,
    pub experimental: bool,
}

impl Ctx {
    pub fn log(&self) -> &Logger {
        &self.shared.log
    }
}
