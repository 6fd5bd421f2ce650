//! Login states: the `state` and `nonce` of each OIDC login, kept server-side so that any
//! instance can check the launch that follows, single-use.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entities::login_state;
use super::{Store, StoreError};
use crate::lti::RegistrationId;

/// A login to remember until its launch.
#[derive(Debug, Clone)]
pub struct NewLogin {
    pub state: String,
    pub registration: RegistrationId,
    pub nonce: String,
    pub browser_secret: String,
    pub storage_target: Option<String>,
    /// The login parameters as JSON, to restart the login in a new window if needed.
    pub login_params: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A stored login.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub state: String,
    pub registration: RegistrationId,
    pub nonce: String,
    pub browser_secret: String,
    pub storage_target: Option<String>,
    pub login_params: String,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
}

impl Store {
    /// Stores a new login.
    pub async fn insert_login(&self, l: NewLogin) -> Result<(), StoreError> {
        let row = login_state::ActiveModel {
            state: Set(l.state),
            platform_id: Set(l.registration.0),
            nonce: Set(l.nonce),
            browser_secret: Set(l.browser_secret),
            storage_target: Set(l.storage_target),
            login_params: Set(l.login_params),
            created_at: Set(l.created_at),
            expires_at: Set(l.expires_at),
            consumed_at: Set(None),
        };
        login_state::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// The login that issued `state`, if any.
    pub async fn login(&self, state: &str) -> Result<Option<LoginRecord>, StoreError> {
        let row = login_state::Entity::find_by_id(state.to_string())
            .one(&self.db)
            .await?;
        Ok(row.map(to_record))
    }

    /// Consumes the login in one statement: only if `state`, `nonce`, registration and (when
    /// given) browser secret all match, it is unexpired and unused. Returns the login, or None
    /// when nothing matched (the caller then asks [`Store::login`] why). Exactly one caller
    /// ever gets it, whatever the number of instances.
    pub async fn consume_login(
        &self,
        state: &str,
        nonce: &str,
        registration: RegistrationId,
        browser_secret: Option<&str>,
        now: i64,
    ) -> Result<Option<LoginRecord>, StoreError> {
        let mut q = login_state::Entity::update_many()
            .col_expr(login_state::Column::ConsumedAt, Expr::value(now))
            .filter(login_state::Column::State.eq(state))
            .filter(login_state::Column::Nonce.eq(nonce))
            .filter(login_state::Column::PlatformId.eq(registration.0))
            .filter(login_state::Column::ConsumedAt.is_null())
            .filter(login_state::Column::ExpiresAt.gte(now));
        if let Some(secret) = browser_secret {
            q = q.filter(login_state::Column::BrowserSecret.eq(secret));
        }
        let rows = q.exec_with_returning(&self.db).await?;
        Ok(rows.into_iter().next().map(to_record))
    }

    /// Deletes logins that expired before `before`; returns how many.
    pub async fn purge_logins(&self, before: i64) -> Result<u64, StoreError> {
        let res = login_state::Entity::delete_many()
            .filter(login_state::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}

fn to_record(r: login_state::Model) -> LoginRecord {
    LoginRecord {
        state: r.state,
        registration: RegistrationId(r.platform_id),
        nonce: r.nonce,
        browser_secret: r.browser_secret,
        storage_target: r.storage_target,
        login_params: r.login_params,
        expires_at: r.expires_at,
        consumed_at: r.consumed_at,
    }
}
