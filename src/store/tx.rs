//! One transaction per change: a change to a course and everything that must go with it (its
//! `pairing_events` row, the split an exclusion causes) commit together or not at all.
//!
//! A [`Tx`] is scoped to one course, so its write methods take no course id and cannot touch
//! another course's data. Callers never see sea-orm types: they get a `Tx` from
//! [`Store::begin`] and [`Tx::commit`] it (dropping it rolls back), or hand a closure to
//! [`Store::transaction`], which commits on `Ok` and rolls back on `Err`.
//!
//! On SQLite the transaction takes the write lock when it begins (`BEGIN IMMEDIATE`): a
//! deferred transaction that reads first and writes later fails at once with "database is
//! busy" when another writer committed in between, instead of waiting its turn. On
//! PostgreSQL the default isolation (read committed) is enough for the compare-and-swap
//! updates of a draft: a concurrent update of the same row waits, then re-checks the
//! condition against the committed row and matches nothing.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use super::entities::course;
use super::{CourseId, Store, StoreError};

/// The future a [`Store::transaction`] closure returns.
pub type TxFuture<'c, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>;

/// An open transaction on the data of one course.
pub struct Tx<'s> {
    pub(super) txn: DatabaseTransaction,
    pub(super) course: CourseId,
    /// Live-session events appended in this transaction, counted in the metrics when it
    /// commits (an append retried after a conflict is not counted twice).
    pub(super) appended: std::sync::atomic::AtomicU64,
    // Ties the transaction to the store borrow, which gives `Store::transaction` closures the
    // implied bound that what they borrow outlives the transaction (as `std::thread::scope`).
    _store: PhantomData<&'s Store>,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("course", &self.course)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A transaction that takes SQLite's write lock at once, so two writers never both read
    /// and then fail to upgrade (PostgreSQL ignores the mode).
    pub(super) async fn begin_immediate(&self) -> Result<DatabaseTransaction, StoreError> {
        Ok(self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    /// Opens a transaction on one course's data. Nothing is visible to others until
    /// [`Tx::commit`]; dropping the `Tx` rolls everything back.
    pub async fn begin(&self, course: CourseId) -> Result<Tx<'_>, StoreError> {
        let txn = self.begin_immediate().await?;
        Ok(Tx {
            txn,
            course,
            appended: Default::default(),
            _store: PhantomData,
        })
    }

    /// Runs `f` in one transaction on one course's data: committed when it returns `Ok`,
    /// rolled back when it returns `Err` (or when committing fails).
    ///
    /// ```text
    /// store.transaction(course, |tx| Box::pin(async move {
    ///     tx.add_link(a, b, LinkKind::DoNotPair, LinkSource::Staff, actor, now).await?;
    ///     tx.log_event(actor, "exclude", &detail, now).await
    /// })).await?;
    /// ```
    pub async fn transaction<'s, T, E, F>(&'s self, course: CourseId, f: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c Tx<'s>) -> TxFuture<'c, T, E>,
        E: From<StoreError>,
    {
        let tx = self.begin(course).await?;
        match f(&tx).await {
            Ok(v) => {
                tx.commit().await?;
                Ok(v)
            }
            Err(e) => {
                if let Err(rb) = tx.rollback().await {
                    // The caller's error is the one that matters; the database drops an
                    // unfinished transaction when the connection is recycled anyway.
                    tracing::warn!(error = &rb as &dyn std::error::Error, "rollback failed");
                }
                Err(e)
            }
        }
    }
}

impl Tx<'_> {
    /// The course this transaction is scoped to.
    pub fn course(&self) -> CourseId {
        self.course
    }

    /// Makes everything written in this transaction visible at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        let appended = self.appended.into_inner();
        self.txn.commit().await?;
        crate::metrics::global().session_events(appended);
        Ok(())
    }

    /// Undoes everything written in this transaction.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.txn.rollback().await?;
        Ok(())
    }

    /// Serialises this transaction with every other that locks the same course, until it
    /// ends: a check followed by a write (a count of declarations, then one more) then holds
    /// on PostgreSQL too, where read committed would let two such transactions both pass the
    /// check. The update changes nothing; it only takes the course row's lock.
    pub(super) async fn lock_course(&self) -> Result<(), StoreError> {
        course::Entity::update_many()
            .col_expr(
                course::Column::UpdatedAt,
                Expr::col(course::Column::UpdatedAt),
            )
            .filter(course::Column::Id.eq(self.course.get()))
            .exec(&self.txn)
            .await?;
        Ok(())
    }
}
