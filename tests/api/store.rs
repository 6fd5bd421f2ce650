//! The store and the roster layer on a real database (SQLite, or PostgreSQL when
//! DATABASE_URL points at one): one transaction per change, corrupt data as errors, display
//! names, the declaration cap, and pages of the roster.

use binome::course::pair_set::{StoredGroup, StoredPlan};
use binome::course::people::people;
use binome::course::rules::is_pairable_roles;
use binome::pairs::draft::{DraftScope, EditError};
use binome::pairs::plan_input::plan_input;
use binome::store::{
    CourseId, DECLARATION_CAP, DeclarationKind, DeclareOutcome, LaunchRecord, MemberStatus,
    NewPlatform, PairSetStatus, PersonId, RosterEntry, Store, StoreError,
};
use sea_orm::ConnectionTrait;

use crate::helpers::fresh_database;

const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
const NOW: i64 = 1_800_000_000;
const MODULE: &str = "rl-1";

/// A fresh store with one course.
async fn course() -> (Store, CourseId) {
    let store = Store::connect(&fresh_database().await, 5).await.unwrap();
    let reg = store
        .add_platform(
            NewPlatform {
                issuer: "https://lms.example.com".into(),
                client_id: "tool".into(),
                auth_url: "https://lms.example.com/auth".into(),
                token_url: "https://lms.example.com/token".into(),
                jwks_url: "https://lms.example.com/jwks".into(),
                accept_new_deployments: false,
                frame_origins: vec![],
                deployments: vec!["1".into()],
                status: binome::lti::PlatformStatus::Active,
                private_network: true,
                service_hosts: vec![],
                registered_via: binome::lti::RegisteredVia::Operator,
            },
            NOW,
        )
        .await
        .unwrap();
    let course = store
        .upsert_course(&launch(reg.id, None, None, &[]))
        .await
        .unwrap();
    (store, course)
}

fn launch<'a>(
    registration: binome::lti::RegistrationId,
    user_id: Option<&'a str>,
    name: Option<&'a str>,
    roles: &'a [String],
) -> LaunchRecord<'a> {
    LaunchRecord {
        registration,
        deployment_id: "1",
        context_id: "c1",
        context_label: None,
        context_title: Some("Course"),
        memberships_url: None,
        resource_link: None,
        ags: None,
        user_id,
        name,
        given_name: None,
        family_name: None,
        email: None,
        picture: None,
        roles,
        now: NOW,
    }
}

fn entry(id: &str, name: &str, role: &str, status: MemberStatus) -> RosterEntry {
    RosterEntry {
        user_id: id.into(),
        name: Some(name.into()),
        given_name: None,
        family_name: None,
        email: Some(format!("{id}@example.com")),
        picture: None,
        roles: vec![role.into()],
        status,
    }
}

/// Learners `l0`…`l{n-1}`, named "Learner i", plus instructor `t` and inactive learner `gone`.
async fn roster(store: &Store, course: CourseId, n: usize) {
    let mut members: Vec<RosterEntry> = (0..n)
        .map(|i| {
            entry(
                &format!("l{i}"),
                &format!("Learner {i}"),
                LEARNER,
                MemberStatus::Active,
            )
        })
        .collect();
    members.push(entry("t", "Tina Teacher", INSTRUCTOR, MemberStatus::Active));
    members.push(entry(
        "gone",
        "Gone Learner",
        LEARNER,
        MemberStatus::Inactive,
    ));
    store
        .replace_roster(course, &members, None, true, NOW)
        .await
        .unwrap();
}

fn plan(groups: &[&[&str]]) -> String {
    StoredPlan {
        groups: groups
            .iter()
            .map(|g| StoredGroup {
                members: g.iter().map(|m| PersonId::new(*m)).collect(),
                locked: false,
                explanation: Default::default(),
            })
            .collect(),
        unplaced: vec![],
        exact: true,
    }
    .to_json()
}

async fn draft(store: &Store, course: CourseId) -> Option<String> {
    store
        .pair_set(course, MODULE, PairSetStatus::Draft)
        .await
        .unwrap()
        .map(|d| d.groups)
}

async fn put_draft(store: &Store, course: CourseId, groups: &str) {
    let tx = store.begin(course).await.unwrap();
    assert!(tx.create_draft(MODULE, groups, "t", NOW).await.unwrap());
    tx.commit().await.unwrap();
}

fn scope(store: &Store, course: CourseId) -> DraftScope<'_> {
    DraftScope {
        cache: Box::leak(Box::default()),
        store,
        course,
        module: MODULE,
        actor: "t",
        now: NOW,
    }
}

/// The table a corrupt-data error names (it must name a row too).
fn corrupt_table<T>(r: Result<T, StoreError>) -> &'static str {
    match r {
        Err(StoreError::Corrupt { table, row, .. }) => {
            assert!(!row.is_empty());
            table
        }
        Err(e) => panic!("expected Corrupt, got {e:?}"),
        Ok(_) => panic!("expected Corrupt, got a value"),
    }
}

async fn exec(store: &Store, sql: &str) {
    store.connection().execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn a_transaction_that_fails_leaves_nothing_behind() {
    let (store, course) = course().await;
    let groups = plan(&[&["l0", "l1"]]);
    let r: Result<(), StoreError> = store
        .transaction(course, |tx| {
            Box::pin(async move {
                tx.create_draft(MODULE, &groups, "t", NOW).await?;
                tx.log_event(None, "t", "propose", "1 group", NOW).await?;
                Err(StoreError::NotFound("injected".into()))
            })
        })
        .await;
    assert!(matches!(r, Err(StoreError::NotFound(_))));
    assert_eq!(
        draft(&store, course).await,
        None,
        "the draft was rolled back"
    );
    assert!(store.events(course, None, 10).await.unwrap().is_empty());

    // The same closure that succeeds commits both.
    let groups = plan(&[&["l0", "l1"]]);
    store
        .transaction(course, |tx| {
            Box::pin(async move {
                tx.create_draft(MODULE, &groups, "t", NOW).await?;
                tx.log_event(None, "t", "propose", "1 group", NOW).await
            })
        })
        .await
        .unwrap();
    assert!(draft(&store, course).await.is_some());
    assert_eq!(store.events(course, None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_event_that_cannot_be_written_undoes_the_change_it_records() {
    let (store, course) = course().await;
    roster(&store, course, 4).await;
    let before = plan(&[&["l0", "l1"], &["l2", "l3"]]);
    put_draft(&store, course, &before).await;
    // Injected failure: every event insert now fails.
    exec(&store, "DROP TABLE pairing_events").await;

    let s = scope(&store, course);
    assert!(matches!(
        s.set_lock(&"l0".into(), true).await,
        Err(EditError::Store(_))
    ));
    assert!(matches!(
        s.swap(&"l0".into(), &"l2".into()).await,
        Err(EditError::Store(_))
    ));
    assert!(matches!(
        s.split(&"l0".into()).await,
        Err(EditError::Store(_))
    ));
    assert!(matches!(
        s.exclude(&"l0".into(), &"l1".into()).await,
        Err(EditError::Store(_))
    ));
    assert!(matches!(s.publish().await, Err(EditError::Store(_))));
    assert_eq!(
        draft(&store, course).await.as_deref(),
        Some(before.as_str()),
        "no edit survives without its event"
    );
    assert!(
        store.links(course).await.unwrap().is_empty(),
        "nor the exclusion"
    );
    assert!(
        store
            .pair_set(course, MODULE, PairSetStatus::Published)
            .await
            .unwrap()
            .is_none(),
        "nor the publication"
    );
}

#[tokio::test]
async fn an_exclusion_and_the_split_it_causes_are_recorded_together() {
    let (store, course) = course().await;
    roster(&store, course, 4).await;
    put_draft(&store, course, &plan(&[&["l0", "l1"], &["l2", "l3"]])).await;
    scope(&store, course)
        .exclude(&"l0".into(), &"l1".into())
        .await
        .unwrap();
    let now = StoredPlan::from_set(
        &store
            .pair_set(course, MODULE, PairSetStatus::Draft)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(now.group_of(&"l0".into()).is_none() && now.group_of(&"l1".into()).is_none());
    assert!(now.group_of(&"l2".into()).is_some());
    let actions: Vec<String> = store
        .events(course, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["split", "exclude"]);
}

#[tokio::test]
async fn concurrent_edits_of_the_draft_are_refused_not_lost() {
    let (store, course) = course().await;
    roster(&store, course, 16).await;
    let groups: Vec<Vec<String>> = (0..8)
        .map(|i| vec![format!("l{}", 2 * i), format!("l{}", 2 * i + 1)])
        .collect();
    let refs: Vec<Vec<&str>> = groups
        .iter()
        .map(|g| g.iter().map(String::as_str).collect())
        .collect();
    let slices: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let start = plan(&slices);
    put_draft(&store, course, &start).await;

    // A stale read is refused.
    let tx = store.begin(course).await.unwrap();
    let swapped = tx
        .replace_draft(MODULE, "stale", &start, "t", NOW)
        .await
        .unwrap();
    assert!(!swapped);
    drop(tx);

    // Eight people each lock a different group at once: every lock that succeeded is in the
    // draft and has its event; the others were told.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let member = PersonId::new(format!("l{}", 2 * i));
                scope(&store, course).set_lock(&member, true).await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(EditError::Conflict) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(ok >= 1);
    let last = StoredPlan::from_set(
        &store
            .pair_set(course, MODULE, PairSetStatus::Draft)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let locked = last.groups.iter().filter(|g| g.locked).count();
    let events = store.events(course, None, 100).await.unwrap();
    assert_eq!(locked, ok, "no successful edit was overwritten");
    assert_eq!(events.iter().filter(|e| e.action == "lock").count(), ok);
}

#[tokio::test]
async fn corrupt_stored_values_are_errors_that_name_the_row() {
    let (store, course) = course().await;
    roster(&store, course, 2).await;
    exec(
        &store,
        "UPDATE roster_members SET roles = 'not json' WHERE user_id = 'l1'",
    )
    .await;
    assert_eq!(corrupt_table(store.roster(course).await), "roster_members");
    assert_eq!(
        corrupt_table(people(&store, course).await.map(|_| ())),
        "roster_members",
        "a learner is not silently dropped"
    );

    let settings = binome::pairs::settings::settings_from_form("a\nb", "new");
    binome::pairs::settings::save_settings(
        &store,
        &Default::default(),
        course,
        "t",
        &settings,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(store.course_settings(course).await.unwrap(), settings);
    exec(&store, "UPDATE course_settings SET policy = 'sometimes'").await;
    assert_eq!(
        corrupt_table(store.course_settings(course).await),
        "course_settings"
    );
    exec(
        &store,
        "UPDATE course_settings SET policy = 'keep', tag_options = '{'",
    )
    .await;
    assert_eq!(
        corrupt_table(store.course_settings(course).await),
        "course_settings"
    );

    store
        .set_profile(course, &"l0".into(), &["a".into()], NOW)
        .await
        .unwrap();
    exec(&store, "UPDATE learner_profiles SET tags = 'x'").await;
    assert_eq!(
        corrupt_table(store.profiles(course).await),
        "learner_profiles"
    );
    assert_eq!(
        corrupt_table(store.profile(course, &"l0".into()).await),
        "learner_profiles"
    );

    put_draft(&store, course, "{not a plan").await;
    let set = store
        .pair_set(course, MODULE, PairSetStatus::Draft)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(corrupt_table(StoredPlan::from_set(&set)), "pair_sets");

    exec(&store, "UPDATE roster_members SET roles = '[]'").await;
    assert_eq!(
        store
            .add_declaration(
                course,
                &"l0".into(),
                &"l1".into(),
                DeclarationKind::Hierarchical,
                is_pairable_roles,
                NOW
            )
            .await
            .unwrap(),
        DeclareOutcome::UnknownPerson,
        "no roles, no learner"
    );
    exec(
        &store,
        &format!("UPDATE roster_members SET roles = '[\"{LEARNER}\"]'"),
    )
    .await;
    store
        .add_declaration(
            course,
            &"l0".into(),
            &"l1".into(),
            DeclarationKind::Hierarchical,
            is_pairable_roles,
            NOW,
        )
        .await
        .unwrap();
    exec(&store, "UPDATE links SET kind = 'boss'").await;
    assert_eq!(corrupt_table(store.links(course).await), "links");
}

#[tokio::test]
async fn a_person_who_launched_is_named_as_their_launch_names_them() {
    let (store, course) = course().await;
    roster(&store, course, 2).await;
    let reg = store
        .course_in_scope(course, registration(&store).await, "1")
        .await
        .unwrap()
        .unwrap()
        .registration;
    let roles = vec![LEARNER.to_string()];
    store
        .upsert_member(course, &launch(reg, Some("l0"), Some("Ada Launch"), &roles))
        .await
        .unwrap();
    let names = store
        .names(course, &["l0".into(), "l1".into()])
        .await
        .unwrap();
    assert_eq!(names["l0"].0.as_deref(), Some("Ada Launch"));
    assert_eq!(names["l1"].0.as_deref(), Some("Learner 1"));
    let (people, _) = people(&store, course).await.unwrap();
    let name = |id: &str| {
        people
            .iter()
            .find(|p| p.user_id == id)
            .and_then(|p| p.name.clone())
    };
    assert_eq!(name("l0").as_deref(), Some("Ada Launch"));
    assert_eq!(name("l1").as_deref(), Some("Learner 1"));
    let page = store
        .learners_page(course, None, 10, None, is_pairable_roles)
        .await
        .unwrap();
    assert_eq!(page.learners[0].name.as_deref(), Some("Ada Launch"));
    let found = store
        .learners_page(course, None, 10, Some("ada"), is_pairable_roles)
        .await
        .unwrap();
    assert_eq!(found.learners.len(), 1, "found by the name shown");
    assert_eq!(found.learners[0].user_id, "l0");
}

async fn registration(store: &Store) -> binome::lti::RegistrationId {
    store.registrations().await.unwrap()[0].id
}

#[tokio::test]
async fn declarations_are_checked_and_capped_per_learner() {
    let (store, course) = course().await;
    roster(&store, course, 12).await;
    let declare = |other: &'static str| {
        let store = store.clone();
        async move {
            store
                .add_declaration(
                    course,
                    &"l0".into(),
                    &PersonId::new(other),
                    DeclarationKind::TheyManageMe,
                    is_pairable_roles,
                    NOW,
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(declare("nobody").await, DeclareOutcome::UnknownPerson);
    assert_eq!(declare("t").await, DeclareOutcome::UnknownPerson, "staff");
    assert_eq!(
        declare("gone").await,
        DeclareOutcome::UnknownPerson,
        "inactive"
    );
    assert_eq!(
        declare("l0").await,
        DeclareOutcome::UnknownPerson,
        "oneself"
    );
    assert_eq!(declare("l1").await, DeclareOutcome::Added);
    assert_eq!(declare("l1").await, DeclareOutcome::AlreadyDeclared);
    assert_eq!(
        store.declaration_count(course, &"l0".into()).await.unwrap(),
        1
    );

    // Ten more at once: the cap holds.
    let others = ["l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10", "l11"];
    let tasks: Vec<_> = others
        .into_iter()
        .map(|o| tokio::spawn(declare(o)))
        .collect();
    let mut added = 0;
    for t in tasks {
        match t.await.unwrap() {
            DeclareOutcome::Added => added += 1,
            DeclareOutcome::LimitReached => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(added, DECLARATION_CAP - 1);
    assert_eq!(
        store.declaration_count(course, &"l0".into()).await.unwrap(),
        DECLARATION_CAP
    );

    // A declared "manages" reaches the engine as a private, direct exclusion only.
    let (input, _) = plan_input(&store, course, MODULE, 1).await.unwrap();
    assert!(!input.links.is_empty());
    assert!(
        input
            .links
            .iter()
            .all(|l| l.kind == binome::pairing::LinkKind::Declared)
    );
}

#[tokio::test]
async fn learners_and_the_roster_come_a_page_at_a_time() {
    let (store, course) = course().await;
    roster(&store, course, 7).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .learners_page(course, after.as_deref(), 3, None, is_pairable_roles)
            .await
            .unwrap();
        assert!(page.learners.len() <= 3);
        seen.extend(page.learners.into_iter().map(|l| l.user_id.to_string()));
        pages += 1;
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut want: Vec<String> = (0..7).map(|i| format!("l{i}")).collect();
    want.sort();
    assert_eq!(
        seen, want,
        "every pairable learner once; no staff, no inactive"
    );

    let found = store
        .learners_page(course, None, 10, Some("LEARNER 4"), is_pairable_roles)
        .await
        .unwrap();
    assert_eq!(found.learners.len(), 1);
    let none = store
        .learners_page(course, None, 10, Some("%"), is_pairable_roles)
        .await
        .unwrap();
    assert!(none.learners.is_empty(), "wildcards are taken literally");

    let first = store.roster_page(course, None, 5).await.unwrap();
    assert!(first.from_roster);
    assert_eq!(first.entries.len(), 5);
    let rest = store
        .roster_page(course, first.next.as_deref(), 5)
        .await
        .unwrap();
    assert_eq!(
        rest.entries.len(),
        4,
        "staff and inactive people are listed"
    );
    assert!(rest.next.is_none());
}

/// A person's contact, read from both people tables at once: what their own launch said wins
/// (the roster service may mangle a name), the roster fills in what the launch did not say,
/// and a person neither launched nor listed has none.
#[tokio::test]
async fn a_contact_is_the_launch_over_the_roster() {
    let (store, course) = course().await;
    let reg = store.registrations().await.unwrap()[0].id;
    let mut listed = entry("l0", "Roster Name", LEARNER, MemberStatus::Active);
    listed.picture = Some("https://pic.example/roster.png".into());
    let also = entry("l1", "Only Listed", LEARNER, MemberStatus::Active);
    store
        .replace_roster(course, &[listed, also], None, true, NOW)
        .await
        .unwrap();
    let roles = [LEARNER.to_string()];
    let mut l0 = launch(reg, Some("l0"), Some("Launch Name"), &roles);
    l0.email = None;
    l0.picture = Some("https://pic.example/launch.png");
    store.upsert_member(course, &l0).await.unwrap();
    let mut l2 = launch(reg, Some("l2"), None, &roles);
    l2.given_name = Some("Given");
    l2.family_name = Some("Family");
    store.upsert_member(course, &l2).await.unwrap();

    let ids: Vec<PersonId> = ["l0", "l1", "l2", "nobody"].map(PersonId::new).into();
    let c = store.contacts(course, &ids).await.unwrap();
    let seen = |id: &str| {
        let c = &c[id];
        (c.name.as_deref(), c.email.as_deref(), c.picture.as_deref())
    };
    assert_eq!(
        seen("l0"),
        (
            Some("Launch Name"),
            Some("l0@example.com"),
            Some("https://pic.example/launch.png")
        )
    );
    assert_eq!(
        seen("l1"),
        (Some("Only Listed"), Some("l1@example.com"), None)
    );
    assert_eq!(seen("l2"), (Some("Given Family"), None, None));
    assert!(!c.contains_key("nobody"));
}
