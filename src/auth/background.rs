//! Work a flow starts after answering (the look-up and mail of a reset request, so
//! known and unknown addresses answer in the same time), kept where shutdown can
//! finish it.
use std::{
    future::Future,
    sync::{Mutex, PoisonError},
};

use tokio::task::JoinSet;

/// Beyond this much work still running, a flow does its work before answering: a
/// flood slows its own answers instead of piling up tasks.
const MAX_RUNNING: usize = 1_000;

#[derive(Default)]
pub(super) struct Background(Mutex<JoinSet<()>>);

impl Background {
    pub async fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let work = {
            let mut tasks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            // Reap what has finished, so the set holds only work still running.
            while let Some(done) = tasks.try_join_next() {
                if let Err(err) = done {
                    tracing::error!(error = %err, "background work failed");
                }
            }
            if tasks.len() < MAX_RUNNING {
                tasks.spawn(work);
                return;
            }
            work
        };
        work.await;
    }

    /// Waits for everything started so far.
    pub async fn finish(&self) {
        let mut tasks = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        while tasks.join_next().await.is_some() {}
    }
}
