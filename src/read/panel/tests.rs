//! The panel built from fixed inputs: table checks of what each concern decides, and
//! snapshots of the whole model (the values `session_panel.html` receives).

use super::fixture::{T0, in_round, in_round_texts, input, row, state};
use super::*;
use crate::coaching::{Command, GroupSize, SessionKind};
use crate::realtime::live::Presence;
use crate::store::SessionStatus;

const PAIR: GroupSize = GroupSize::Pair;
const GUIDED: SessionKind = SessionKind::Guided;

#[test]
fn framework_shows_who_accepted_and_the_instructions() {
    let mut live = state(PAIR, GUIDED, &[(1, Command::AcceptFramework)]);
    live.presence[1] = (Presence::Away, None);
    let panel = Panel::build(&input(&live, 0, &[]), Locale::En, T0 + 60_000);
    assert_eq!(panel.phase, "framework");
    assert!(panel.buttons.accept, "seat 0 has not accepted yet");
    assert_eq!(
        panel
            .members
            .iter()
            .map(|m| m.presence_key)
            .collect::<Vec<_>>(),
        ["online", "away"],
        "the reader is online by definition"
    );
    assert_eq!(panel.instructions.as_deref(), Some("Meet within the week."));
    assert!(panel.timer.is_none());
    insta::assert_json_snapshot!("framework", panel);
}

#[test]
fn a_round_shows_the_step_its_fields_and_the_timer() {
    let live = in_round();
    let roles = live.session.current_roles().expect("in a round");
    let texts = in_round_texts();
    let coach = roles.coach.0;
    // The timer ran 90 s into the step that began with the last command.
    let now = T0 + 6 * 60_000 + 90_000;
    let panel = Panel::build(&input(&live, coach, &texts), Locale::En, now);
    assert_eq!(panel.phase, "round");
    assert!(
        panel.buttons.next && panel.buttons.previous,
        "the coach leads"
    );
    let timer = panel.timer.as_ref().expect("a timed step");
    assert_eq!(timer.remaining, timer.duration - 90);
    assert_eq!(
        panel.meeting_url.as_deref(),
        Some("https://meet.example/abc")
    );
    assert!(panel.meeting_when.is_some());
    insta::assert_json_snapshot!("round_coach", panel);

    // The coachee may not lead, and reads the same step in French.
    let coachee = roles.coachee.0;
    let panel = Panel::build(&input(&live, coachee, &texts), Locale::Fr, now);
    assert!(!panel.buttons.next && !panel.buttons.previous);
    insta::assert_json_snapshot!("round_coachee_fr", panel);
}

#[test]
fn a_practice_session_lists_the_earlier_ones() {
    let live = state(
        PAIR,
        SessionKind::Practice,
        &[(1, Command::AcceptFramework)],
    );
    let mut inp = input(&live, 0, &[]);
    let mut guided = row(40, 0, &["p-ana", "p-ben"], 30);
    guided.summary.status = SessionStatus::Completed;
    guided.summary.completed_at = Some(T0 / 1000 - 86_400);
    inp.group_sessions = vec![guided, live.row.clone()].into();
    let panel = Panel::build(&inp, Locale::En, T0 + 60_000);
    assert_eq!(panel.practice_number, Some(1));
    assert_eq!(
        panel.history.iter().map(|p| p.ordinal).collect::<Vec<_>>(),
        [0]
    );
    insta::assert_json_snapshot!("practice_after_guided", panel);
}

#[test]
fn a_request_to_abandon_the_guided_session_waits_for_the_others() {
    let live = state(PAIR, GUIDED, &[(1, Command::Abandon)]);
    let check = |seat: u8, request: &str, abandon: bool| {
        let panel = Panel::build(&input(&live, seat, &[]), Locale::En, T0);
        assert_eq!(
            panel.abandon_request.as_deref(),
            Some(request),
            "seat {seat}"
        );
        assert_eq!(panel.buttons.abandon, abandon, "seat {seat}");
        assert!(panel.buttons.keep_session.is_some(), "seat {seat}");
    };
    check(
        0,
        &Locale::En.tr("live_abandon_asked", &[("names", "Ben Okafor".into())]),
        true,
    );
    check(
        1,
        &Locale::En.tr("live_abandon_waiting", &[("names", "Ana Lima".into())]),
        false,
    );
}
