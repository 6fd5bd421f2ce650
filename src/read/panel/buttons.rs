//! Which buttons the method offers a member now, and the words of a request to abandon the
//! session. The method decides who may do what (`coaching::Session::decide` refuses the
//! rest); this only shows the buttons that would not be refused.

use serde::Serialize;

use crate::coaching::{Phase, Seat, Session, SessionKind, Step};
use crate::i18n::Locale;

/// The panel's buttons.
#[derive(Debug, Clone, Serialize)]
pub struct Buttons {
    pub accept: bool,
    pub prepared: bool,
    pub start: bool,
    pub next: bool,
    pub previous: bool,
    pub end_round: bool,
    /// The round the next round's coach may open.
    pub next_round: Option<u8>,
    pub open_closing: bool,
    pub complete: bool,
    pub pause: bool,
    pub resume: bool,
    pub extend: bool,
    pub abandon: bool,
    pub abandon_label: String,
    pub abandon_hint: String,
    /// The button that withdraws one's request, or turns down the others'.
    pub keep_session: Option<String>,
    pub practice: bool,
    pub export: bool,
}

impl Buttons {
    pub fn of(session: &Session, seat: Seat, l: Locale) -> Buttons {
        let phase = session.phase();
        let rounds = session.size().rounds();
        let coach_now = session.current_roles().map(|r| r.coach) == Some(seat);
        let next_coach = match phase {
            Phase::RoundEnded { round } if round < rounds => {
                session.roles_of_round(round + 1).ok().map(|r| r.coach) == Some(seat)
            }
            _ => false,
        };
        let paused = session.timer().is_some_and(|t| t.is_paused());
        let everyone_prepared = session.size().seats().all(|m| session.is_prepared(m));
        // Abandoning: one member alone ends a practice session; the guided one ends when
        // every member asked (see `coaching::session`), so a first request waits for the
        // others.
        let guided = session.kind() == SessionKind::Guided;
        let asked = session.abandon_requests();
        let (abandon_label, abandon_hint) = match (guided, asked.is_empty()) {
            (false, _) => (l.t("live_abandon"), l.t("live_abandon_hint")),
            (true, true) => (l.t("live_abandon_ask"), l.t("live_abandon_ask_hint")),
            (true, false) => (l.t("live_abandon_agree"), String::new()),
        };
        let in_round = |f: fn(Step) -> bool| matches!(phase, Phase::Round { step, .. } if f(step));
        Buttons {
            accept: phase == Phase::Framework && !session.has_accepted(seat),
            prepared: phase == Phase::Preparation && !session.is_prepared(seat),
            start: phase == Phase::Preparation && everyone_prepared,
            next: matches!(phase, Phase::Introduction)
                || (in_round(|s| s != Step::Commitments) && coach_now),
            previous: in_round(|s| s != Step::Sharing) && coach_now,
            end_round: in_round(|s| s == Step::Commitments) && coach_now,
            next_round: next_coach.then(|| match phase {
                Phase::RoundEnded { round } => round + 1,
                _ => 0,
            }),
            open_closing: matches!(phase, Phase::RoundEnded { round } if round == rounds),
            complete: phase == Phase::Closing,
            pause: session.timer().is_some() && !paused,
            resume: paused,
            extend: session.timer().is_some(),
            abandon: session.is_open() && !asked.contains(&seat),
            abandon_label,
            abandon_hint,
            keep_session: (session.is_open() && !asked.is_empty()).then(|| {
                l.t(if asked.contains(&seat) {
                    "live_abandon_withdraw"
                } else {
                    "live_abandon_keep"
                })
            }),
            practice: matches!(phase, Phase::Completed | Phase::Abandoned),
            export: !matches!(phase, Phase::Framework),
        }
    }
}

/// Who asked to abandon the session, or whom the reader's own request waits for; None while
/// nobody asked or once the session is over.
pub fn abandon_request(
    session: &Session,
    seat: Seat,
    name_of: impl Fn(Seat) -> String,
    l: Locale,
) -> Option<String> {
    let asked = session.abandon_requests();
    (session.is_open() && !asked.is_empty()).then(|| {
        if asked.contains(&seat) {
            let others: Vec<String> = session
                .size()
                .seats()
                .filter(|m| !asked.contains(m))
                .map(&name_of)
                .collect();
            l.tr(
                "live_abandon_waiting",
                &[("names", others.join(", ").into())],
            )
        } else {
            let askers: Vec<String> = asked.iter().map(|m| name_of(*m)).collect();
            l.tr("live_abandon_asked", &[("names", askers.join(", ").into())])
        }
    })
}
