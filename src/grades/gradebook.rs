//! Reading the LMS gradebook for staff: the results (AGS §3.3) of an activity's line item,
//! read on staff's request and kept in the store (`Store::replace_lms_results`), so the
//! activity page shows, next to each learner's delivery status, what the LMS holds — on
//! every instance, until the next check. A failed read keeps the previous one and records
//! why: the platform's status and a short text reason (`lti::remote`), or that the line item
//! is on a host that is not the platform's (then no token is asked for and nothing is sent).
//! A failure is logged at WARN with its status and reason code, never the platform's words.

use std::time::Duration;

use crate::lti::ags::{self, AgsError};
use crate::lti::keys::ToolKey;
use crate::lti::services::ServiceTokens;
use crate::lti::{Registration, ServiceUrl};
use crate::store::{CourseId, LmsResult, Store};

use super::GradesError;

/// Longest time one read of the results (every page of it) may take.
pub const READ_DEADLINE: Duration = Duration::from_secs(20);

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The results were read; this many learners have one.
    Read(usize),
    /// The activity's launches gave no grades service.
    NoService,
    /// The platform did not grant reading results to the tool.
    NotGranted,
    /// No line item is known yet (none was found or created: no score was sent).
    NoLineItem,
    /// The platform failed or refused, or the line item is on a foreign host: the kept form
    /// of the failure (`lti::Failure`), also kept with the results.
    Failed(String),
}

/// The client and token cache of results reads (apart from the worker's, so a check never
/// waits behind a batch of posts).
pub struct Gradebook {
    http: crate::lti::outbound::Outbound,
    tokens: ServiceTokens,
}

impl Gradebook {
    pub fn new(http: crate::lti::outbound::Outbound) -> Gradebook {
        Gradebook {
            http,
            tokens: ServiceTokens::default(),
        }
    }

    /// Reads the results of an activity's line item and keeps them.
    pub async fn check(
        &self,
        store: &Store,
        reg: &Registration,
        key: &ToolKey,
        course: CourseId,
        activity: &str,
        now: i64,
    ) -> Result<CheckOutcome, GradesError> {
        let Some(ags) = store.activity_ags(course, activity).await? else {
            return Ok(CheckOutcome::NoService);
        };
        if !ags
            .scopes
            .split_whitespace()
            .any(|s| s == ags::SCOPE_RESULT)
        {
            return Ok(CheckOutcome::NotGranted);
        }
        let Some(lineitem) = ags.lineitem else {
            return Ok(CheckOutcome::NoLineItem);
        };
        // Checked before a token is asked for.
        let read = match reg.service_url(&lineitem) {
            Ok(lineitem) => tokio::time::timeout(READ_DEADLINE, self.read(reg, key, &lineitem))
                .await
                .map_err(|_| None)
                .and_then(|r| r.map_err(Some)),
            Err(e) => Err(Some(AgsError::not_service(e))),
        };
        let error = match read {
            Ok(results) => {
                let rows: Vec<LmsResult> = results
                    .into_iter()
                    .map(|r| LmsResult {
                        person_id: crate::store::PersonId::new(r.user_id),
                        result_score: r.result_score,
                        result_maximum: r.result_maximum,
                    })
                    .collect();
                store
                    .replace_lms_results(course, activity, &rows, now)
                    .await?;
                let n = store.lms_results(course, activity).await?.results.len();
                return Ok(CheckOutcome::Read(n));
            }
            Err(Some(e)) => {
                tracing::warn!(
                    course = course.get(),
                    status = e.status(),
                    code = e.code(),
                    "gradebook check failed"
                );
                super::outbox::describe(&e)
            }
            Err(None) => {
                tracing::warn!(
                    course = course.get(),
                    code = "timeout",
                    "gradebook check failed"
                );
                format!("no complete answer within {} s", READ_DEADLINE.as_secs())
            }
        };
        store.lms_results_failed(course, activity, &error).await?;
        Ok(CheckOutcome::Failed(error))
    }

    /// Every result, with one fresh token after a 401.
    async fn read(
        &self,
        reg: &Registration,
        key: &ToolKey,
        lineitem: &ServiceUrl,
    ) -> Result<Vec<ags::AgsResult>, AgsError> {
        let scopes = [ags::SCOPE_RESULT];
        let http = self.http.for_platform(reg);
        for first in [true, false] {
            let token = self
                .tokens
                .token(http, reg, key, &scopes)
                .await
                .map_err(|e| AgsError::Network(e.to_string()))?;
            match ags::read_results(http, &token, lineitem).await {
                Err(AgsError::Unauthorized) if first => {
                    self.tokens.invalidate(reg.id, &scopes).await;
                }
                other => return other,
            }
        }
        Err(AgsError::Unauthorized)
    }
}
