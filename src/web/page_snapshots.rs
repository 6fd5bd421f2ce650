//! Snapshots of the main pages as the browser gets them, rendered from the read models'
//! fixed inputs (fixed clock, ids and names): the session panel, the course overview and the
//! learner page. A change of a template or of a model shows here as a reviewable diff.

use minijinja::{Value, context};

use super::pages::Pages;
use crate::i18n::Locale;
use crate::read::learner::{LearnerInput, LearnerPage};
use crate::read::overview::{OverviewPage, fixture as course};
use crate::read::panel::{Panel, fixture};
use crate::store::Contact;

fn pages() -> Pages {
    Pages::new("https://tool.example/").expect("the templates compile")
}

/// The values every page of a session shows, for a learner of a fixed course.
fn common() -> Value {
    context! {
        module => "Module 1 — Conflicts", instructions => None::<String>,
        token => "TOKEN", name => "Ana Lima", course => "Coaching 101",
        activity => "Peer coaching", anonymous => false, nrps => true, ags => true,
        notice => None::<String>, notice_at => None::<String>, notice_class => "notice-ok",
        max_declarations => 5,
    }
}

#[test]
fn the_session_panel_of_a_round() {
    let live = fixture::in_round();
    let coach = live.session.current_roles().expect("in a round").coach.0;
    let texts = fixture::in_round_texts();
    let now = fixture::T0 + 6 * 60_000 + 90_000;
    let panel = Panel::build(&fixture::input(&live, coach, &texts), Locale::En, now);
    let html = pages()
        .try_render(
            "session_panel.html",
            Locale::En,
            context! { token => "TOKEN", p => panel },
        )
        .expect("the panel renders");
    insta::assert_snapshot!("session_panel_round", html);
}

#[test]
fn the_course_overview() {
    let page = OverviewPage::of(&course::course(), 0, Locale::En);
    let html = pages()
        .try_render(
            "overview.html",
            Locale::En,
            context! {
                token => "TOKEN", course => "Coaching 101",
                last_sync => "15 Jan 2027, 09:00 UTC", sync_error => None::<String>,
                sync_error_at => None::<String>, ..Value::from_serialize(&page)
            },
        )
        .expect("the overview renders");
    insta::assert_snapshot!("overview", html);
}

#[test]
fn the_learner_page_with_a_partner() {
    let input = LearnerInput {
        tag_options: vec!["sector: health".into(), "sector: education".into()],
        mine: vec!["sector: health".into()],
        published: true,
        partner_ids: vec!["p-ben".into()],
        contacts: [(
            "p-ben".into(),
            Contact {
                name: Some("Ben Okafor".into()),
                email: Some("ben@example.edu".into()),
                picture: Some("https://pic.example/ben.png".into()),
            },
        )]
        .into_iter()
        .collect(),
    };
    let page = Value::from_serialize(LearnerPage::build(&input, Locale::En));
    let html = pages()
        .try_render("learner.html", Locale::En, context! { ..common(), ..page })
        .expect("the learner page renders");
    insta::assert_snapshot!("learner_page", html);
}
