//! Work a flow starts after answering (the look-up and mail of a reset request, so
//! known and unknown addresses answer in the same time), kept where shutdown can
//! finish it.
use std::{
    future::Future,
    sync::{Mutex, PoisonError},
};

use tokio::task::JoinSet;

#[derive(Default)]
pub(super) struct Background(Mutex<JoinSet<()>>);

impl Background {
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Reap what has finished, so the set holds only work still running.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(work);
    }

    /// Waits for everything started so far.
    pub async fn finish(&self) {
        let mut tasks = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        while tasks.join_next().await.is_some() {}
    }
}
