//! Appends security events for the whole instance with group commit: the events that
//! queue while one batch is being written go into the next, in one transaction — one
//! chain-head update and one insert for all of them. Each caller still waits until
//! its own event is committed, so nothing is answered before it is recorded.
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{mpsc, oneshot};

use crate::store::events::{self, NewEvent};

/// At most this many events per transaction.
const MAX_BATCH: usize = 256;

type Queued = (
    NewEvent,
    DateTime<Utc>,
    oneshot::Sender<Result<i64, String>>,
);

pub struct TrailWriter {
    db: DatabaseConnection,
    /// Started on first use, inside the runtime that records.
    queue: OnceLock<mpsc::Sender<Queued>>,
}

impl TrailWriter {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            queue: OnceLock::new(),
        }
    }

    /// Appends `event` and answers its id once it is committed.
    pub async fn append(&self, event: NewEvent, at: DateTime<Utc>) -> Result<i64, String> {
        let queue = self.queue.get_or_init(|| {
            let (queue, batches) = mpsc::channel(4 * MAX_BATCH);
            tokio::spawn(write_batches(self.db.clone(), batches));
            queue
        });
        let (done, committed) = oneshot::channel();
        queue
            .send((event, at, done))
            .await
            .map_err(|_| "the trail writer has stopped".to_owned())?;
        committed
            .await
            .map_err(|_| "the trail writer has stopped".to_owned())?
    }
}

async fn write_batches(db: DatabaseConnection, mut queued: mpsc::Receiver<Queued>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queued.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (events, waiters): (Vec<_>, Vec<_>) = batch
            .drain(..)
            .map(|(event, at, done)| ((event, at), done))
            .unzip();
        metrics::histogram!("audit_batch_events").record(events.len() as f64);
        let outcome: Result<i64, DbErr> = events::append_many(&db, events).await;
        match outcome {
            Ok(first) => {
                for (id, done) in (first..).zip(waiters) {
                    let _ = done.send(Ok(id));
                }
            }
            Err(err) => {
                let err = err.to_string();
                for done in waiters {
                    let _ = done.send(Err(err.clone()));
                }
            }
        }
    }
}
