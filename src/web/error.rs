//! The one place where errors become HTTP: each refusal is a 4xx page that says what went
//! wrong and what the LMS administrator should check, logged as one structured line with its
//! reason code; internal failures are logged with their cause and shown with an opaque id.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use minijinja::context;

use super::pages::Pages;
use crate::i18n::Locale;
use crate::launch::FlowError;
use crate::lti::LaunchError;
use crate::store::StoreError;

/// An error of the web layer.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// An LTI login or launch was refused.
    #[error(transparent)]
    Refused(#[from] LaunchError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The session token is missing, forged or expired.
    #[error("no valid session")]
    NoSession,
    /// The session does not allow this action.
    #[error("forbidden")]
    Forbidden,
    /// No such page.
    #[error("not found")]
    NotFound,
    /// The request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A bug or an unavailable dependency on our side.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FlowError> for WebError {
    fn from(e: FlowError) -> WebError {
        match e {
            FlowError::Refused(r) => WebError::Refused(r),
            FlowError::Store(s) => WebError::Store(s),
        }
    }
}

/// Context for rendering an error: who asked, in which language, framed by whom.
pub struct ErrorContext<'a> {
    pub locale: Locale,
    pub frame_ancestors: &'a [String],
    pub relaunch: Vec<(String, String)>,
}

/// Renders an error as a page and logs it.
pub fn respond(pages: &Pages, err: &WebError, cx: ErrorContext<'_>) -> HttpResponse {
    let l = cx.locale;
    let (status, code, heading, what, check, error_id) = match err {
        WebError::Refused(e) => {
            tracing::warn!(target: "binome::refusal", reason = e.code(), detail = %e, "request refused");
            let (what, check) = explain(e, l);
            (
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
                e.code(),
                l.t("error_title").to_string(),
                what,
                check,
                None,
            )
        }
        WebError::NoSession => (
            StatusCode::UNAUTHORIZED,
            "session_invalid",
            l.t("error_title").into(),
            l.t("session_expired").into(),
            String::new(),
            None,
        ),
        WebError::Forbidden => (
            StatusCode::FORBIDDEN,
            "forbidden",
            l.t("error_title").into(),
            l.t("dl_not_staff").into(),
            String::new(),
            None,
        ),
        WebError::NotFound => (
            StatusCode::NOT_FOUND,
            "not_found",
            l.t("error_title").into(),
            l.t("not_found").into(),
            String::new(),
            None,
        ),
        WebError::BadRequest(m) => {
            tracing::warn!(target: "binome::refusal", reason = "bad_request", detail = %m, "request refused");
            (
                StatusCode::BAD_REQUEST,
                "bad_request",
                l.t("error_title").into(),
                m.clone(),
                String::new(),
                None,
            )
        }
        WebError::Store(_) | WebError::Internal(_) => {
            let id = crate::lti::login::random_token()[..12].to_string();
            tracing::error!(error_id = %id, error = %err, "internal error");
            let status = if matches!(err, WebError::Store(_)) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            (
                status,
                "internal_error",
                l.t("error_title").into(),
                l.t("internal_error").into(),
                String::new(),
                Some(id),
            )
        }
    };
    let html = pages.render(
        "error.html",
        l,
        context! {
            heading => heading, what => what, check => check, code => code, error_id => error_id,
            show_help => status.is_client_error() && status != StatusCode::NOT_FOUND,
            relaunch => cx.relaunch,
        },
    );
    pages.respond(status, html, cx.frame_ancestors)
}

/// (what happened, what the LMS administrator should check), in the page's language.
fn explain(e: &LaunchError, l: Locale) -> (String, String) {
    let fr = l == Locale::Fr;
    let pick = |en: String, fr_s: String| if fr { fr_s } else { en };
    match e {
        LaunchError::MissingParam(p) => (
            pick(format!("The request from the LMS lacks the parameter \"{p}\"."), format!("La requête de la plateforme ne contient pas le paramètre « {p} ».")),
            pick("Check that the tool is configured as an LTI 1.3 tool with the login URL and redirection URI given by `binome lti-config`.".into(), "Vérifiez que l'outil est configuré en LTI 1.3 avec l'URL de connexion et l'URI de redirection données par `binome lti-config`.".into()),
        ),
        LaunchError::UnknownPlatform { issuer, client_id } => (
            pick(format!("This LMS ({issuer}) is not registered with Binôme for client id {}.", client_id.as_deref().unwrap_or("(none)")), format!("Cette plateforme ({issuer}) n'est pas enregistrée dans Binôme pour l'identifiant client {}.", client_id.as_deref().unwrap_or("(aucun)"))),
            pick("Check the issuer and client id: register them on the Binôme server with `binome platform add`.".into(), "Vérifiez l'émetteur (issuer) et l'identifiant client : enregistrez-les sur le serveur Binôme avec `binome platform add`.".into()),
        ),
        LaunchError::AmbiguousClient(iss) => (
            pick(format!("Several registrations exist for {iss} and the LMS did not say which one."), format!("Plusieurs enregistrements existent pour {iss} et la plateforme n'a pas précisé lequel.")),
            pick("Check that the LMS sends client_id in the login request.".into(), "Vérifiez que la plateforme envoie client_id dans la requête de connexion.".into()),
        ),
        LaunchError::ForeignTargetLink(u) => (
            pick(format!("The link target {u} is not part of this Binôme server."), format!("La cible du lien {u} n'appartient pas à ce serveur Binôme.")),
            pick("Check the tool URL configured in the LMS and BINOME_BASE_URL on the server: they must share the same origin.".into(), "Vérifiez l'URL de l'outil dans la plateforme et BINOME_BASE_URL sur le serveur : elles doivent avoir la même origine.".into()),
        ),
        LaunchError::PlatformError { error, description } => (
            pick(format!("The LMS refused to sign you in to Binôme ({error}{}).", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()), format!("La plateforme a refusé de vous connecter à Binôme ({error}{}).", description.as_deref().map(|d| format!(" : {d}")).unwrap_or_default())),
            pick("Check that you are still signed in to the LMS, and that the tool's redirection URI is registered exactly.".into(), "Vérifiez que vous êtes toujours connecté à la plateforme et que l'URI de redirection de l'outil est enregistrée à l'identique.".into()),
        ),
        LaunchError::Malformed(_) | LaunchError::BadRequest(_) => (
            pick("The LMS sent something Binôme cannot read as an LTI launch.".into(), "La plateforme a envoyé quelque chose que Binôme ne peut pas lire comme un lancement LTI.".into()),
            pick("Check that the tool is set up for LTI 1.3 (not 1.1) and that the redirection URI points to /lti/launch.".into(), "Vérifiez que l'outil est configuré en LTI 1.3 (et non 1.1) et que l'URI de redirection pointe vers /lti/launch.".into()),
        ),
        LaunchError::AlgNotAllowed(a) => (
            pick(format!("The launch was signed with the algorithm \"{a}\"; Binôme accepts RS256 only."), format!("Le lancement est signé avec l'algorithme « {a} » ; Binôme n'accepte que RS256.")),
            pick("Check the platform's LTI 1.3 signing settings.".into(), "Vérifiez les paramètres de signature LTI 1.3 de la plateforme.".into()),
        ),
        LaunchError::UnknownKid(_) | LaunchError::BadSignature => (
            pick("The launch's signature does not match the LMS's public keys.".into(), "La signature du lancement ne correspond pas aux clés publiques de la plateforme.".into()),
            pick("Check the platform's public keyset URL registered in Binôme (`binome platform list`).".into(), "Vérifiez l'URL du jeu de clés publiques de la plateforme enregistrée dans Binôme (`binome platform list`).".into()),
        ),
        LaunchError::JwksUnavailable(m) => (
            pick(format!("Binôme could not read the LMS's public keys ({m})."), format!("Binôme n'a pas pu lire les clés publiques de la plateforme ({m}).")),
            pick("Check that the keyset URL is right and reachable from the Binôme server.".into(), "Vérifiez que l'URL du jeu de clés est juste et joignable depuis le serveur Binôme.".into()),
        ),
        LaunchError::Expired | LaunchError::IssuedInFuture => (
            pick("The launch is outside its validity window: it has expired or comes from the future.".into(), "Le lancement est hors de sa période de validité : il a expiré ou vient du futur.".into()),
            pick("Check that the clocks of the LMS server and the Binôme server are synchronised (NTP).".into(), "Vérifiez que les horloges du serveur de la plateforme et du serveur Binôme sont synchronisées (NTP).".into()),
        ),
        LaunchError::WrongIssuer | LaunchError::WrongAudience | LaunchError::WrongAzp => (
            pick("The launch was issued for another tool or by another platform than the one that started the sign-in.".into(), "Le lancement a été émis pour un autre outil, ou par une autre plateforme que celle qui a commencé la connexion.".into()),
            pick("Check the issuer and client id registered in Binôme against the LMS's tool configuration.".into(), "Comparez l'émetteur et l'identifiant client enregistrés dans Binôme avec la configuration de l'outil dans la plateforme.".into()),
        ),
        LaunchError::InvalidClaims(_) | LaunchError::MissingClaim(_) | LaunchError::WrongVersion(_) | LaunchError::UnknownMessageType(_) => (
            pick(format!("The launch is not a valid LTI 1.3 launch Binôme can open ({e})."), format!("Le lancement n'est pas un lancement LTI 1.3 valide que Binôme peut ouvrir ({e}).")),
            pick("Check that the LMS uses LTI 1.3 and that the link is a Binôme activity or a deep-linking selection.".into(), "Vérifiez que la plateforme utilise LTI 1.3 et que le lien est une activité Binôme ou une sélection de contenu.".into()),
        ),
        LaunchError::NonceMismatch | LaunchError::StateUnknown | LaunchError::StateMismatch | LaunchError::BrowserCheckFailed => (
            pick("Binôme could not match this launch to the sign-in your browser started.".into(), "Binôme n'a pas pu rattacher ce lancement à la connexion commencée par votre navigateur.".into()),
            pick("Usually harmless: open the activity again. If it persists, check that the LMS posts back the state it received.".into(), "Souvent sans gravité : rouvrez l'activité. Si cela persiste, vérifiez que la plateforme renvoie l'état (state) reçu.".into()),
        ),
        LaunchError::StateExpired => (
            pick("The sign-in took too long and has expired.".into(), "La connexion a pris trop de temps et a expiré.".into()),
            pick("Open the activity again.".into(), "Rouvrez l'activité.".into()),
        ),
        LaunchError::Replayed => (
            pick("This launch has already been used. Each launch can be opened once.".into(), "Ce lancement a déjà été utilisé. Chaque lancement ne s'ouvre qu'une fois.".into()),
            pick("Open the activity again from the course rather than reloading or going back.".into(), "Rouvrez l'activité depuis le cours plutôt que de recharger la page ou revenir en arrière.".into()),
        ),
        LaunchError::UnknownDeployment(d) => (
            pick(format!("This installation of Binôme in the LMS (deployment {d}) has not been approved yet."), format!("Cette installation de Binôme dans la plateforme (déploiement {d}) n'est pas encore approuvée.")),
            pick(format!("The deployment is recorded as pending. Approve it on the Binôme server with `binome platform approve-deployment --deployment-id {d} ...`, or register it with --deployment-id."), format!("Le déploiement est enregistré comme en attente. Approuvez-le sur le serveur Binôme avec `binome platform approve-deployment --deployment-id {d} ...`, ou enregistrez-le avec --deployment-id.")),
        ),
        LaunchError::LoginRateLimited { retry_after } => (
            pick(format!("Too many sign-ins to Binôme came from your network in a short time; this one was refused. Try again in {retry_after} seconds."), format!("Trop de connexions à Binôme sont venues de votre réseau en peu de temps ; celle-ci a été refusée. Réessayez dans {retry_after} secondes.")),
            pick("If many people share one address (a school network), the Binôme administrator can raise BINOME_LOGIN_RATE_PER_CLIENT; behind a reverse proxy, check BINOME_TRUST_PROXY.".into(), "Si beaucoup de personnes partagent une adresse (réseau d'établissement), l'administrateur de Binôme peut relever BINOME_LOGIN_RATE_PER_CLIENT ; derrière un proxy inverse, vérifiez BINOME_TRUST_PROXY.".into()),
        ),
        LaunchError::PlatformRateLimited { retry_after } => (
            pick(format!("Binôme is receiving more sign-ins from this LMS than it accepts right now. Try again in {retry_after} seconds."), format!("Binôme reçoit en ce moment plus de connexions de cette plateforme qu'il n'en accepte. Réessayez dans {retry_after} secondes.")),
            pick("If this happens at busy times, the Binôme administrator can raise BINOME_LOGIN_RATE_PER_PLATFORM.".into(), "Si cela arrive aux heures chargées, l'administrateur de Binôme peut relever BINOME_LOGIN_RATE_PER_PLATFORM.".into()),
        ),
        LaunchError::TooManyPendingLogins => (
            pick("Too many sign-ins to Binôme from this LMS are waiting to complete; this one was refused. Try again in a minute.".into(), "Trop de connexions à Binôme depuis cette plateforme attendent de se terminer ; celle-ci a été refusée. Réessayez dans une minute.".into()),
            pick("Unfinished sign-ins expire after ten minutes. If this persists, the Binôme administrator can raise BINOME_MAX_PENDING_LOGINS, or look for a flood of login requests in the logs.".into(), "Les connexions inachevées expirent après dix minutes. Si cela persiste, l'administrateur de Binôme peut relever BINOME_MAX_PENDING_LOGINS, ou chercher un afflux de requêtes de connexion dans les journaux.".into()),
        ),
        LaunchError::ForeignLaunchOrigin(from) => (
            pick(format!("Your browser kept no trace of the sign-in (its cookies are blocked), and this launch was not sent by the LMS page (it came from {from}). Binôme refused it, to protect you from being signed in by another site."), format!("Votre navigateur n'a gardé aucune trace de la connexion (ses cookies sont bloqués), et ce lancement n'a pas été envoyé par la page de la plateforme (il vient de {from}). Binôme l'a refusé, pour éviter qu'un autre site vous connecte à votre insu.")),
            pick("Open the activity again from the course. If it persists, allow cookies for the Binôme site, or check that the LMS does not send a Referrer-Policy of no-referrer on its sign-in page.".into(), "Rouvrez l'activité depuis le cours. Si cela persiste, autorisez les cookies du site de Binôme, ou vérifiez que la plateforme n'envoie pas de Referrer-Policy no-referrer sur sa page de connexion.".into()),
        ),
        LaunchError::TooLarge => (
            pick("The request is larger than Binôme accepts.".into(), "La requête dépasse la taille acceptée par Binôme.".into()),
            pick("Check custom parameters and claims configured for the tool in the LMS.".into(), "Vérifiez les paramètres personnalisés configurés pour l'outil dans la plateforme.".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_4xx() {
        let all = [
            LaunchError::MissingParam("x"),
            LaunchError::UnknownPlatform {
                issuer: "i".into(),
                client_id: None,
            },
            LaunchError::Expired,
            LaunchError::Replayed,
            LaunchError::TooLarge,
            LaunchError::JwksUnavailable("x".into()),
            LaunchError::UnknownDeployment("d".into()),
            LaunchError::BrowserCheckFailed,
            LaunchError::LoginRateLimited { retry_after: 3 },
            LaunchError::PlatformRateLimited { retry_after: 3 },
            LaunchError::TooManyPendingLogins,
            LaunchError::ForeignLaunchOrigin("(none)".into()),
        ];
        for e in all {
            assert!((400..500).contains(&e.status()), "{e:?}");
            let (what, check) = explain(&e, Locale::Fr);
            assert!(!what.is_empty() && !check.is_empty());
        }
    }
}
