//! The learner's actions: choosing field-context tags, and privately declaring (or
//! withdrawing) a hierarchical link. Only a learner of the activity may do either.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::AppState;
use super::error::{BadForm, OrRefuse, Refusal, WebError};
use super::extract::{AuthedForm, Learner, redirect};
use crate::launch::now;
use crate::store::{DeclarationKind, DeclareOutcome, PersonId};

#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    other: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id: String,
}

/// POST /app/profile: a learner's tags, or a private hierarchical declaration.
pub async fn profile(
    state: web::Data<AppState>,
    f: AuthedForm<ProfileForm, Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let me = PersonId::new(s.user().unwrap_or_default());
    let store = &state.flow.store;
    let now = now();
    let (result, page, at) = match f.form.action.as_str() {
        "tags" => {
            // Repeated `tag` fields: serde_urlencoded does not gather lists.
            let chosen: Vec<&String> = f
                .pairs
                .iter()
                .filter(|(n, _)| n == "tag")
                .map(|(_, v)| v)
                .collect();
            let result = async {
                let allowed = state.courses.settings(store, s.course).await?.tag_options;
                let tags: Vec<String> = allowed
                    .into_iter()
                    .filter(|t| chosen.contains(&t))
                    .collect();
                store.set_profile(s.course, &me, &tags, now).await?;
                Ok::<_, WebError>("notice_saved")
            }
            .await;
            (result, "/app", "profile")
        }
        "declare" => {
            let kind = match f.form.kind.as_str() {
                "manager" => DeclarationKind::TheyManageMe,
                "report" => DeclarationKind::IManageThem,
                _ => DeclarationKind::Hierarchical,
            };
            let outcome = store
                .add_declaration(
                    s.course,
                    &me,
                    &PersonId::new(f.form.other.as_str()),
                    kind,
                    crate::course::rules::is_pairable_roles,
                    now,
                )
                .await
                .map_err(WebError::from)
                .map(|o| match o {
                    DeclareOutcome::Added => "notice_saved",
                    DeclareOutcome::AlreadyDeclared => "notice_declare_exists",
                    DeclareOutcome::LimitReached => "notice_declare_limit",
                    DeclareOutcome::UnknownPerson => "notice_declare_unknown",
                });
            (outcome, "/app/declare", "declare")
        }
        "remove" => {
            let result = match f.form.id.parse::<i32>() {
                Ok(id) => store
                    .remove_declared_link(s.course, &me, id)
                    .await
                    .map(|()| "notice_removed")
                    .map_err(WebError::from),
                Err(_) => Err(WebError::BadForm(BadForm::Unreadable)),
            };
            (result, "/app/declare", "declare")
        }
        _ => (
            Err(WebError::BadForm(BadForm::UnknownAction)),
            "/app",
            "profile",
        ),
    };
    let notice = result.or_refuse(&f.to)?;
    redirect(&state, s, page, &[("notice", notice), ("at", at)], "notice")
        .await
        .or_refuse(&f.to)
}
