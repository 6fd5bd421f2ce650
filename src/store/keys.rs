//! The tool's signing keys and server secrets.

use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{secret, tool_key};
use super::{Store, StoreError};

/// A tool key as stored.
#[derive(Clone)]
pub struct StoredKey {
    pub kid: String,
    pub private_key_pem: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never reaches a log.
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Keys still published (not retired, or retired after `published_since`): current keys
    /// first, then newest first.
    pub async fn published_keys(&self, published_since: i64) -> Result<Vec<StoredKey>, StoreError> {
        let rows = tool_key::Entity::find()
            .filter(
                tool_key::Column::RetiredAt
                    .is_null()
                    .or(tool_key::Column::RetiredAt.gt(published_since)),
            )
            .order_by_desc(tool_key::Column::CreatedAt)
            .order_by_desc(tool_key::Column::Kid)
            .all(&self.db)
            .await?;
        let mut keys: Vec<StoredKey> = rows
            .into_iter()
            .map(|k| StoredKey {
                kid: k.kid,
                private_key_pem: k.private_key_pem,
                created_at: k.created_at,
                retired_at: k.retired_at,
            })
            .collect();
        // Current keys first (a rotation within one second must still put the new key first).
        keys.sort_by_key(|k| (k.retired_at.is_some(), std::cmp::Reverse(k.created_at)));
        Ok(keys)
    }

    /// Adds a new current key and retires every other current key as of `now`.
    pub async fn rotate_in_key(&self, kid: &str, pem: &str, now: i64) -> Result<(), StoreError> {
        tool_key::Entity::update_many()
            .col_expr(
                tool_key::Column::RetiredAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(tool_key::Column::RetiredAt.is_null())
            .exec(&self.db)
            .await?;
        self.insert_key(kid, pem, now).await
    }

    /// Stores a key.
    pub async fn insert_key(&self, kid: &str, pem: &str, now: i64) -> Result<(), StoreError> {
        let row = tool_key::ActiveModel {
            kid: Set(kid.to_string()),
            private_key_pem: Set(pem.to_string()),
            created_at: Set(now),
            retired_at: Set(None),
        };
        tool_key::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// The named secret, created with `make` on first use. Safe when several instances start
    /// at once: the first insert wins and everyone reads it back.
    pub async fn secret_or_create(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
        now: i64,
    ) -> Result<String, StoreError> {
        let row = secret::ActiveModel {
            name: Set(name.to_string()),
            value: Set(make()),
            created_at: Set(now),
        };
        secret::Entity::insert(row)
            .on_conflict(
                OnConflict::column(secret::Column::Name)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        let stored = secret::Entity::find_by_id(name.to_string())
            .one(&self.db)
            .await?;
        stored
            .map(|s| s.value)
            .ok_or_else(|| StoreError::corrupt("secrets", name, "vanished after insert"))
    }
}
