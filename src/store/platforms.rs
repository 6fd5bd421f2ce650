//! Platform registrations and their deployments.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use super::entities::{deployment, platform};
use super::{Store, StoreError};
use crate::lti::{ClientId, Issuer, Registration, RegistrationId};

/// What an administrator gives to register a platform.
#[derive(Debug, Clone)]
pub struct NewPlatform {
    pub issuer: Issuer,
    pub client_id: ClientId,
    pub auth_url: String,
    pub token_url: String,
    pub jwks_url: String,
    pub accept_new_deployments: bool,
    pub frame_origins: Vec<String>,
    pub deployments: Vec<String>,
}

/// Whether launches from a deployment are let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// Approved: launches are accepted.
    Active,
    /// Seen in a launch but not approved yet: launches are refused.
    Pending,
}

impl DeploymentStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Active => "active",
            DeploymentStatus::Pending => "pending",
        }
    }
    fn parse(s: &str) -> DeploymentStatus {
        if s == "active" {
            DeploymentStatus::Active
        } else {
            DeploymentStatus::Pending
        }
    }
}

/// A deployment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeployment {
    pub registration: RegistrationId,
    pub deployment_id: String,
    pub status: DeploymentStatus,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
}

fn to_registration(m: platform::Model) -> Registration {
    Registration {
        id: RegistrationId::new(m.id),
        issuer: Issuer::new(m.issuer),
        client_id: ClientId::new(m.client_id),
        auth_url: m.auth_url,
        token_url: m.token_url,
        jwks_url: m.jwks_url,
        accept_new_deployments: m.accept_new_deployments,
        frame_origins: m
            .frame_origins
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    }
}

/// Creates or updates a deployment with the given status, on a connection or in a
/// transaction.
async fn upsert_deployment(
    db: &impl ConnectionTrait,
    reg: RegistrationId,
    deployment_id: &str,
    status: DeploymentStatus,
    now: i64,
) -> Result<(), StoreError> {
    let row = deployment::ActiveModel {
        platform_id: Set(reg.get()),
        deployment_id: Set(deployment_id.to_string()),
        status: Set(status.as_str().to_string()),
        created_at: Set(now),
        last_seen_at: Set(None),
        ..Default::default()
    };
    deployment::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                deployment::Column::PlatformId,
                deployment::Column::DeploymentId,
            ])
            .update_column(deployment::Column::Status)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

impl Store {
    /// Every platform registration.
    pub async fn registrations(&self) -> Result<Vec<Registration>, StoreError> {
        let rows = platform::Entity::find()
            .order_by_asc(platform::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_registration).collect())
    }

    /// Registers a platform with its first deployments (approved).
    pub async fn add_platform(&self, p: NewPlatform, now: i64) -> Result<Registration, StoreError> {
        let exists = platform::Entity::find()
            .filter(platform::Column::Issuer.eq(p.issuer.as_str()))
            .filter(platform::Column::ClientId.eq(p.client_id.as_str()))
            .one(&self.db)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "platform {} with client id {}",
                p.issuer, p.client_id
            )));
        }
        let row = platform::ActiveModel {
            issuer: Set(p.issuer.to_string()),
            client_id: Set(p.client_id.to_string()),
            auth_url: Set(p.auth_url),
            token_url: Set(p.token_url),
            jwks_url: Set(p.jwks_url),
            accept_new_deployments: Set(p.accept_new_deployments),
            frame_origins: Set(p.frame_origins.join(" ")),
            created_at: Set(now),
            ..Default::default()
        };
        let inserted = platform::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await?;
        let reg = to_registration(inserted);
        for d in p.deployments {
            self.set_deployment(reg.id, &d, DeploymentStatus::Active, now)
                .await?;
        }
        Ok(reg)
    }

    /// Records a registration made by LTI Dynamic Registration, with its deployment, in one
    /// transaction. The same issuer and client id again (a repeated registration) updates the
    /// platform's URLs and adds the deployment rather than creating a second registration;
    /// `accept_new_deployments` and the framing origins only ever widen, so a repeat cannot
    /// lock out deployments an earlier one let in. Returns the registration and whether it is
    /// new.
    pub async fn upsert_registered_platform(
        &self,
        p: NewPlatform,
        now: i64,
    ) -> Result<(Registration, bool), StoreError> {
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        let existing = platform::Entity::find()
            .filter(platform::Column::Issuer.eq(p.issuer.as_str()))
            .filter(platform::Column::ClientId.eq(p.client_id.as_str()))
            .one(&txn)
            .await?;
        let created = existing.is_none();
        let (accept, mut origins) = match &existing {
            Some(row) => (
                row.accept_new_deployments || p.accept_new_deployments,
                row.frame_origins
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            ),
            None => (p.accept_new_deployments, Vec::new()),
        };
        origins.extend(p.frame_origins.iter().cloned());
        origins.sort();
        origins.dedup();
        let row = platform::ActiveModel {
            issuer: Set(p.issuer.to_string()),
            client_id: Set(p.client_id.to_string()),
            auth_url: Set(p.auth_url),
            token_url: Set(p.token_url),
            jwks_url: Set(p.jwks_url),
            accept_new_deployments: Set(accept),
            frame_origins: Set(origins.join(" ")),
            created_at: Set(now),
            ..Default::default()
        };
        // An upsert on the unique (issuer, client id) rather than "insert if the read found
        // nothing": on PostgreSQL two concurrent confirmations both read nothing, and the
        // second insert would fail instead of updating.
        let saved = platform::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([platform::Column::Issuer, platform::Column::ClientId])
                    .update_columns([
                        platform::Column::AuthUrl,
                        platform::Column::TokenUrl,
                        platform::Column::JwksUrl,
                        platform::Column::AcceptNewDeployments,
                        platform::Column::FrameOrigins,
                    ])
                    .to_owned(),
            )
            .exec_with_returning(&txn)
            .await?;
        let reg = to_registration(saved);
        for d in &p.deployments {
            upsert_deployment(&txn, reg.id, d, DeploymentStatus::Active, now).await?;
        }
        txn.commit().await?;
        Ok((reg, created))
    }

    /// Removes a registration with everything scoped to it.
    pub async fn remove_platform(&self, id: RegistrationId) -> Result<(), StoreError> {
        let res = platform::Entity::delete_by_id(id.get())
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound(format!("platform {}", id.get())));
        }
        Ok(())
    }

    /// Changes the framing origins and/or the new-deployment rule of a registration.
    pub async fn update_platform(
        &self,
        id: RegistrationId,
        frame_origins: Option<Vec<String>>,
        accept_new_deployments: Option<bool>,
    ) -> Result<(), StoreError> {
        let Some(row) = platform::Entity::find_by_id(id.get()).one(&self.db).await? else {
            return Err(StoreError::NotFound(format!("platform {}", id.get())));
        };
        let mut am: platform::ActiveModel = row.into();
        if let Some(origins) = frame_origins {
            am.frame_origins = Set(origins.join(" "));
        }
        if let Some(accept) = accept_new_deployments {
            am.accept_new_deployments = Set(accept);
        }
        platform::Entity::update(am).exec(&self.db).await?;
        Ok(())
    }

    /// Creates or updates a deployment with the given status.
    pub async fn set_deployment(
        &self,
        reg: RegistrationId,
        deployment_id: &str,
        status: DeploymentStatus,
        now: i64,
    ) -> Result<(), StoreError> {
        upsert_deployment(&self.db, reg, deployment_id, status, now).await
    }

    /// Records a deployment seen in a launch as pending, unless it is known already.
    pub async fn record_pending_deployment(
        &self,
        reg: RegistrationId,
        deployment_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let row = deployment::ActiveModel {
            platform_id: Set(reg.get()),
            deployment_id: Set(deployment_id.to_string()),
            status: Set(DeploymentStatus::Pending.as_str().to_string()),
            created_at: Set(now),
            last_seen_at: Set(Some(now)),
            ..Default::default()
        };
        deployment::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    deployment::Column::PlatformId,
                    deployment::Column::DeploymentId,
                ])
                .update_column(deployment::Column::LastSeenAt)
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Approves a pending deployment (or adds it approved).
    pub async fn approve_deployment(
        &self,
        reg: RegistrationId,
        deployment_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.set_deployment(reg, deployment_id, DeploymentStatus::Active, now)
            .await
    }

    /// Every deployment, in registration order.
    pub async fn deployments(&self) -> Result<Vec<StoredDeployment>, StoreError> {
        let rows = deployment::Entity::find()
            .order_by_asc(deployment::Column::PlatformId)
            .order_by_asc(deployment::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|d| StoredDeployment {
                registration: RegistrationId::new(d.platform_id),
                deployment_id: d.deployment_id,
                status: DeploymentStatus::parse(&d.status),
                created_at: d.created_at,
                last_seen_at: d.last_seen_at,
            })
            .collect())
    }
}
