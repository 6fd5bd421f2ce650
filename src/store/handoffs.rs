//! Page hand-offs: a redirect after a launch or a form carries a random single-use code, never
//! the session token; the page it opens trades the code for the token once. A code that leaks
//! into a proxy log or the browser history is worthless after that first use.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entities::page_handoff;
use super::{Store, StoreError};

impl Store {
    /// Stores a hand-off of `token` under `code`, valid until `expires_at`.
    pub async fn put_handoff(
        &self,
        code: &str,
        token: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let row = page_handoff::ActiveModel {
            code: Set(code.to_string()),
            token: Set(token.to_string()),
            expires_at: Set(expires_at),
        };
        page_handoff::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Takes the token of a hand-off: at most once, and only before it expires. One
    /// statement, so that two requests racing with the same code cannot both win.
    pub async fn take_handoff(&self, code: &str, now: i64) -> Result<Option<String>, StoreError> {
        let rows = page_handoff::Entity::delete_many()
            .filter(page_handoff::Column::Code.eq(code))
            .filter(page_handoff::Column::ExpiresAt.gte(now))
            .exec_with_returning(&self.db)
            .await?;
        Ok(rows.into_iter().next().map(|r| r.token))
    }

    /// Forgets the hand-offs that expired before `before`. Returns how many went.
    pub async fn purge_handoffs(&self, before: i64) -> Result<u64, StoreError> {
        let res = page_handoff::Entity::delete_many()
            .filter(page_handoff::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}
