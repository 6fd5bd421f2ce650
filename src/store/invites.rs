//! Registration invitations (`registration_invites`): an operator's one-time permission for
//! an LMS to register by LTI Dynamic Registration. Only a SHA-256 hash of the invitation's
//! token is stored; the token itself is printed once, in the invitation URL.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::registration_invite as invite;
use super::{Store, StoreError};
use crate::lti::RegistrationId;

/// An invitation as the operator sees it (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i32,
    pub note: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// When a registration used it.
    pub used_at: Option<i64>,
    /// The registration it made (none once that registration is removed).
    pub platform: Option<RegistrationId>,
}

fn to_invitation(m: invite::Model) -> Invitation {
    Invitation {
        id: m.id,
        note: m.note,
        created_at: m.created_at,
        expires_at: m.expires_at,
        used_at: m.used_at,
        platform: m.platform_id.map(RegistrationId::new),
    }
}

/// Marks the unused, unexpired invitation with this hash as used by `platform`, in one
/// statement (on the caller's connection or transaction): of two registrations racing for
/// one invitation, exactly one gets `true`.
pub(super) async fn consume<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    platform: RegistrationId,
    now: i64,
) -> Result<bool, StoreError> {
    let res = invite::Entity::update_many()
        .col_expr(invite::Column::UsedAt, Expr::value(now))
        .col_expr(invite::Column::PlatformId, Expr::value(platform.get()))
        .filter(invite::Column::TokenHash.eq(token_hash))
        .filter(invite::Column::UsedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

impl Store {
    /// Records an invitation by the hash of its token.
    pub async fn create_invitation(
        &self,
        token_hash: &str,
        note: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> Result<Invitation, StoreError> {
        let row = invite::ActiveModel {
            token_hash: Set(token_hash.to_string()),
            note: Set(note.map(str::to_string)),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
            platform_id: Set(None),
            ..Default::default()
        };
        let saved = invite::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await?;
        Ok(to_invitation(saved))
    }

    /// Every invitation, oldest first.
    pub async fn invitations(&self) -> Result<Vec<Invitation>, StoreError> {
        let rows = invite::Entity::find()
            .order_by_asc(invite::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_invitation).collect())
    }

    /// The invitation with this token hash when it may still be used (unused, unexpired).
    pub async fn usable_invitation(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<Invitation>, StoreError> {
        let row = invite::Entity::find()
            .filter(invite::Column::TokenHash.eq(token_hash))
            .filter(invite::Column::UsedAt.is_null())
            .filter(invite::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?;
        Ok(row.map(to_invitation))
    }

    /// Revokes an unused invitation (it is deleted). A used one stays, as the record of how
    /// its registration was made: `Conflict`; an unknown id: `NotFound`.
    pub async fn revoke_invitation(&self, id: i32) -> Result<(), StoreError> {
        let res = invite::Entity::delete_many()
            .filter(invite::Column::Id.eq(id))
            .filter(invite::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        if res.rows_affected == 1 {
            return Ok(());
        }
        match invite::Entity::find_by_id(id).one(&self.db).await? {
            Some(_) => Err(StoreError::Conflict(format!(
                "invitation {id} was used; remove the registration it made with `binome platform remove`"
            ))),
            None => Err(StoreError::NotFound(format!("invitation {id}"))),
        }
    }

    /// Revokes every unused invitation with this note (the start-up invitation replaces
    /// the one an earlier start printed); returns how many.
    pub async fn revoke_unused_invitations_noted(&self, note: &str) -> Result<u64, StoreError> {
        let res = invite::Entity::delete_many()
            .filter(invite::Column::Note.eq(note))
            .filter(invite::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}
