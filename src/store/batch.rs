//! Group commit: concurrent requests that each need one small write (store a login, consume
//! a login) are combined into one statement. Under load this replaces hundreds of tiny
//! transactions per second by a few larger ones, which is what lets one SQLite file or one
//! PostgreSQL connection keep up; alone, a request waits for its own one-row batch.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// Largest number of requests combined into one statement.
pub const MAX_BATCH: usize = 64;

type Job<T, R> = (T, oneshot::Sender<Result<R, StoreError>>);

/// A queue in front of one kind of write, drained by its own task.
pub struct Batcher<T, R> {
    tx: mpsc::Sender<Job<T, R>>,
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts the task. `run` executes one batch and returns one result per item, in order.
    pub fn spawn<F, Fut>(run: F) -> Batcher<T, R>
    where
        F: Fn(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<R>, StoreError>> + Send,
    {
        let (tx, mut rx) = mpsc::channel::<Job<T, R>>(4096);
        tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
                let (items, waiters): (Vec<T>, Vec<_>) = jobs.drain(..).unzip();
                match run(items).await {
                    Ok(results) => {
                        for (w, r) in waiters.into_iter().zip(results) {
                            let _ = w.send(Ok(r));
                        }
                    }
                    Err(e) => {
                        // Every waiter gets the same cause, shared rather than flattened to
                        // text, so the log keeps the database's own error.
                        let cause = std::sync::Arc::new(e);
                        for w in waiters {
                            let _ = w.send(Err(StoreError::Batch(cause.clone())));
                        }
                    }
                }
            }
        });
        Batcher { tx }
    }

    /// Queues one item and waits for its result.
    pub async fn submit(&self, item: T) -> Result<R, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((item, tx))
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        rx.await.map_err(|_| StoreError::WriterStopped)?
    }
}
