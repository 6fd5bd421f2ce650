//! Login states: the `state` and `nonce` of each OIDC login, kept server-side so that any
//! instance can check the launch that follows, single-use.
//!
//! Both writes of the hot path (store a login, consume it) go through a group-commit queue
//! ([`super::batch`]): concurrent logins become one multi-row INSERT, concurrent launches one
//! `UPDATE … RETURNING`.

use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::batch::Batcher;
use super::entities::login_state;
use super::{Store, StoreError};
use crate::lti::RegistrationId;
use crate::lti::login::LoginState;

/// A login to remember until its launch.
#[derive(Debug, Clone)]
pub struct Login {
    /// The OIDC `state`; it names the registration that issued the login.
    pub state: LoginState,
    /// After this Unix second the login is refused.
    pub expires_at: i64,
    pub nonce: String,
    pub browser_secret: String,
    pub storage_target: Option<String>,
    /// The login parameters as JSON, to restart the login in a new window if needed.
    pub login_params: String,
    pub created_at: i64,
}

/// A stored login, and whether its launch came.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub login: Login,
    pub consumed_at: Option<i64>,
}

/// What must match for a login to be consumed.
#[derive(Debug, Clone)]
struct Consume {
    state: String,
    nonce: String,
    registration: RegistrationId,
    browser_secret: Option<String>,
    now: i64,
}

/// The two group-commit queues of login states.
pub(super) struct LoginWriters {
    insert: Batcher<Login, ()>,
    consume: Batcher<Consume, Option<LoginRecord>>,
}

impl LoginWriters {
    pub(super) fn spawn(db: DatabaseConnection) -> LoginWriters {
        let db2 = db.clone();
        let insert = Batcher::spawn(move |items: Vec<Login>| {
            let db = db.clone();
            async move {
                let n = items.len();
                let rows = items.into_iter().map(|l| login_state::ActiveModel {
                    platform_id: Set(l.state.registration().get()),
                    state: Set(l.state.as_str().to_string()),
                    nonce: Set(l.nonce),
                    browser_secret: Set(l.browser_secret),
                    storage_target: Set(l.storage_target),
                    login_params: Set(l.login_params),
                    created_at: Set(l.created_at),
                    expires_at: Set(l.expires_at),
                    consumed_at: Set(None),
                });
                login_state::Entity::insert_many(rows)
                    .exec_without_returning(&db)
                    .await?;
                Ok(vec![(); n])
            }
        });
        let consume = Batcher::spawn(move |items: Vec<Consume>| {
            let db = db2.clone();
            async move { consume_many(&db, items).await }
        });
        LoginWriters { insert, consume }
    }
}

/// Consumes every login of the batch that matches, in one statement. Each request gets its
/// row at most once: of two posts of the same token in one batch, only the first wins.
async fn consume_many(
    db: &DatabaseConnection,
    items: Vec<Consume>,
) -> Result<Vec<Option<LoginRecord>>, StoreError> {
    let now = items.iter().map(|c| c.now).max().unwrap_or(0);
    let mut any = Condition::any();
    for c in &items {
        let mut one = Condition::all()
            .add(login_state::Column::State.eq(c.state.as_str()))
            .add(login_state::Column::Nonce.eq(c.nonce.as_str()))
            .add(login_state::Column::PlatformId.eq(c.registration.get()));
        if let Some(secret) = &c.browser_secret {
            one = one.add(login_state::Column::BrowserSecret.eq(secret.as_str()));
        }
        any = any.add(one);
    }
    let rows = login_state::Entity::update_many()
        .col_expr(login_state::Column::ConsumedAt, Expr::value(now))
        .filter(login_state::Column::ConsumedAt.is_null())
        .filter(login_state::Column::ExpiresAt.gte(now))
        .filter(any)
        .exec_with_returning(db)
        .await?;
    let mut rows: Vec<Option<login_state::Model>> = rows.into_iter().map(Some).collect();
    items
        .iter()
        .map(|c| {
            let Some(slot) = rows.iter_mut().find(|r| {
                r.as_ref().is_some_and(|r| {
                    r.state == c.state
                        && r.nonce == c.nonce
                        && r.platform_id == c.registration.get()
                        && c.browser_secret
                            .as_ref()
                            .is_none_or(|b| *b == r.browser_secret)
                })
            }) else {
                return Ok(None);
            };
            // A row that no longer reads (logged as corrupt) fails its own request only: the
            // others of the batch are consumed and must get their logins.
            Ok(slot.take().and_then(|m| to_record(m).ok()))
        })
        .collect()
}

impl Store {
    /// Stores a new login.
    pub async fn insert_login(&self, l: Login) -> Result<(), StoreError> {
        self.logins.insert.submit(l).await
    }

    /// The login that issued `state`, if any.
    pub async fn login(&self, state: &str) -> Result<Option<LoginRecord>, StoreError> {
        let row = login_state::Entity::find_by_id(state.to_string())
            .one(&self.db)
            .await?;
        row.map(to_record).transpose()
    }

    /// Consumes the login: only if `state`, `nonce`, registration and (when given) browser
    /// secret all match, it is unexpired and unused. Returns the login, or None when nothing
    /// matched (the caller then asks [`Store::login`] why). Exactly one caller ever gets it,
    /// whatever the number of instances.
    pub async fn consume_login(
        &self,
        state: &str,
        nonce: &str,
        registration: RegistrationId,
        browser_secret: Option<&str>,
        now: i64,
    ) -> Result<Option<LoginRecord>, StoreError> {
        let c = Consume {
            state: state.to_string(),
            nonce: nonce.to_string(),
            registration,
            browser_secret: browser_secret.map(str::to_string),
            now,
        };
        self.logins.consume.submit(c).await
    }

    /// How many logins of `registration` are still pending: unexpired and unused.
    pub async fn pending_logins(
        &self,
        registration: RegistrationId,
        now: i64,
    ) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(login_state::Entity::find()
            .filter(login_state::Column::PlatformId.eq(registration.get()))
            .filter(login_state::Column::ExpiresAt.gte(now))
            .filter(login_state::Column::ConsumedAt.is_null())
            .count(&self.db)
            .await?)
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

/// The stored row, whose state must still read as one of ours issued by its registration
/// (the state itself is a secret: never logged).
fn to_record(r: login_state::Model) -> Result<LoginRecord, StoreError> {
    let state = LoginState::parse(&r.state)
        .filter(|s| s.registration().get() == r.platform_id)
        .ok_or_else(|| {
            StoreError::corrupt(
                "login_states",
                format_args!("a login of registration {}", r.platform_id),
                "unreadable state",
            )
        })?;
    Ok(LoginRecord {
        login: Login {
            state,
            expires_at: r.expires_at,
            nonce: r.nonce,
            browser_secret: r.browser_secret,
            storage_target: r.storage_target,
            login_params: r.login_params,
            created_at: r.created_at,
        },
        consumed_at: r.consumed_at,
    })
}
