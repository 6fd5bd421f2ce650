//! Platform registrations and their deployments.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::{deployment, platform};
use super::{Store, StoreError};
use crate::lti::{ClientId, Issuer, PlatformStatus, RegisteredVia, Registration, RegistrationId};

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
    /// Active, or pending an operator's approval.
    pub status: PlatformStatus,
    /// Whether requests to the platform may reach loopback and private networks.
    pub private_network: bool,
    /// Extra hosts its service token may be sent to.
    pub service_hosts: Vec<String>,
    /// How it was registered.
    pub registered_via: RegisteredVia,
}

impl NewPlatform {
    /// A platform an operator adds by hand: active, trusted with the addresses it has.
    pub fn by_operator(
        issuer: Issuer,
        client_id: ClientId,
        auth_url: String,
        token_url: String,
        jwks_url: String,
    ) -> NewPlatform {
        NewPlatform {
            issuer,
            client_id,
            auth_url,
            token_url,
            jwks_url,
            accept_new_deployments: false,
            frame_origins: Vec::new(),
            deployments: Vec::new(),
            status: PlatformStatus::Active,
            private_network: true,
            service_hosts: Vec::new(),
            registered_via: RegisteredVia::Operator,
        }
    }
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

fn to_registration(m: platform::Model) -> Result<Registration, StoreError> {
    let status = PlatformStatus::parse(&m.status)
        .ok_or_else(|| StoreError::corrupt("platforms", m.id, "unknown status"))?;
    let registered_via = RegisteredVia::parse(&m.registered_via)
        .ok_or_else(|| StoreError::corrupt("platforms", m.id, "unknown registered_via"))?;
    Ok(Registration {
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
        status,
        private_network: m.private_network,
        service_hosts: m
            .service_hosts
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        registered_via,
    })
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
    deployment::Entity::insert(deployment_row(reg, deployment_id, status, now, None))
        .on_conflict(on_same_deployment(deployment::Column::Status))
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
        rows.into_iter().map(to_registration).collect()
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
        let row = platform_row(&p, now);
        let inserted = platform::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await?;
        let reg = to_registration(inserted)?;
        for d in p.deployments {
            self.set_deployment(reg.id, &d, DeploymentStatus::Active, now)
                .await?;
        }
        Ok(reg)
    }

    /// Records a registration made by LTI Dynamic Registration, with its deployment, in one
    /// transaction. A registration never changes another: an answer naming an issuer and
    /// client id this tool already has is refused (`Conflict`) and nothing is written, so a
    /// stranger cannot take a platform over by registering again under its (public) client
    /// id.
    ///
    /// With `invitation` (the hash of an invitation's token), the invitation is consumed in
    /// the same transaction by one conditional `UPDATE … WHERE used_at IS NULL AND
    /// expires_at > now`: when it was used, revoked or expired meanwhile (two confirmations
    /// racing for one invitation), nothing is written and the answer is `NotFound`.
    pub async fn insert_registered_platform(
        &self,
        p: NewPlatform,
        invitation: Option<&str>,
        now: i64,
    ) -> Result<Registration, StoreError> {
        let txn = self.begin_immediate().await?;
        let conflict = || {
            StoreError::Conflict(format!(
                "platform {} with client id {}",
                p.issuer, p.client_id
            ))
        };
        let row = platform_row(&p, now);
        // "Insert, do nothing on the unique (issuer, client id)" rather than "insert if a read
        // found nothing": on PostgreSQL two concurrent confirmations would both read nothing.
        let inserted = platform::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([platform::Column::Issuer, platform::Column::ClientId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_with_returning(&txn)
            .await;
        // With "do nothing", a conflicting insert returns no row: sea-orm says "not
        // inserted" or "not found" depending on the backend.
        let saved = match inserted {
            Ok(m) => m,
            Err(DbErr::RecordNotInserted | DbErr::RecordNotFound(_)) => return Err(conflict()),
            Err(e) => return Err(e.into()),
        };
        let reg = to_registration(saved)?;
        if let Some(hash) = invitation
            && !super::invites::consume(&txn, hash, reg.id, now).await?
        {
            // Dropping the transaction rolls the insert back.
            return Err(StoreError::NotFound("unused invitation".into()));
        }
        for d in &p.deployments {
            upsert_deployment(&txn, reg.id, d, DeploymentStatus::Active, now).await?;
        }
        txn.commit().await?;
        Ok(reg)
    }

    /// Approves a registration held for approval: its launches are let in, and its requests
    /// may reach the (private) addresses it has.
    pub async fn approve_platform(&self, id: RegistrationId) -> Result<(), StoreError> {
        let Some(row) = platform::Entity::find_by_id(id.get()).one(&self.db).await? else {
            return Err(StoreError::NotFound(format!("platform {}", id.get())));
        };
        let mut am: platform::ActiveModel = row.into();
        am.status = Set(PlatformStatus::Active.as_str().to_string());
        am.private_network = Set(true);
        platform::Entity::update(am).exec(&self.db).await?;
        Ok(())
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

    /// Changes the framing origins, the new-deployment rule and/or the extra service hosts
    /// of a registration.
    pub async fn update_platform(
        &self,
        id: RegistrationId,
        frame_origins: Option<Vec<String>>,
        accept_new_deployments: Option<bool>,
        service_hosts: Option<Vec<String>>,
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
        if let Some(hosts) = service_hosts {
            am.service_hosts = Set(hosts.join(" "));
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
        let row = deployment_row(
            reg,
            deployment_id,
            DeploymentStatus::Pending,
            now,
            Some(now),
        );
        deployment::Entity::insert(row)
            .on_conflict(on_same_deployment(deployment::Column::LastSeenAt))
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
/// A platform row to insert.
fn platform_row(p: &NewPlatform, now: i64) -> platform::ActiveModel {
    platform::ActiveModel {
        issuer: Set(p.issuer.to_string()),
        client_id: Set(p.client_id.to_string()),
        auth_url: Set(p.auth_url.clone()),
        token_url: Set(p.token_url.clone()),
        jwks_url: Set(p.jwks_url.clone()),
        accept_new_deployments: Set(p.accept_new_deployments),
        frame_origins: Set(p.frame_origins.join(" ")),
        created_at: Set(now),
        status: Set(p.status.as_str().to_string()),
        private_network: Set(p.private_network),
        service_hosts: Set(p.service_hosts.join(" ")),
        registered_via: Set(p.registered_via.as_str().to_string()),
        ..Default::default()
    }
}

/// A deployment row to insert.
fn deployment_row(
    reg: RegistrationId,
    deployment_id: &str,
    status: DeploymentStatus,
    now: i64,
    last_seen_at: Option<i64>,
) -> deployment::ActiveModel {
    deployment::ActiveModel {
        platform_id: Set(reg.get()),
        deployment_id: Set(deployment_id.to_string()),
        status: Set(status.as_str().to_string()),
        created_at: Set(now),
        last_seen_at: Set(last_seen_at),
        ..Default::default()
    }
}

/// When the platform already has the deployment: only `column` is updated.
fn on_same_deployment(column: deployment::Column) -> OnConflict {
    OnConflict::columns([
        deployment::Column::PlatformId,
        deployment::Column::DeploymentId,
    ])
    .update_column(column)
    .to_owned()
}
