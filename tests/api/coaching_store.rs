//! Coaching sessions in the store and the realtime hub, on a real database (SQLite, or
//! PostgreSQL when DATABASE_URL points at one): idempotent opening, optimistic appends,
//! versioned fields, deletion, course scoping, and on PostgreSQL the fan-out between two
//! instances, through a killed listener connection.

use std::time::Duration;

use binome::coaching::log::Echo;
use binome::coaching::{StatusDetail, Step};
use binome::realtime::{Hub, Subscription, Wake};
use binome::store::{
    CourseId, FieldOwner, FieldSave, LaunchRecord, NewEvent, NewPlatform, NewSession, PersonId,
    SessionId, SessionRow, SessionStatus, Store, StoreError,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::fresh_database;

const NOW: i64 = 1_800_000_000;
/// The status detail the test's events write and read back.
static DETAIL: StatusDetail = StatusDetail::Step {
    round: 1,
    step: Step::Sharing,
};
const ACTIVITY: &str = "rl-1";

fn launch<'a>(registration: binome::lti::RegistrationId, context: &'a str) -> LaunchRecord<'a> {
    LaunchRecord {
        registration,
        deployment_id: "1",
        context_id: context,
        context_label: None,
        context_title: Some("Course"),
        memberships_url: None,
        resource_link: Some((ACTIVITY, Some("Module 1"))),
        ags: None,
        user_id: None,
        name: None,
        given_name: None,
        family_name: None,
        email: None,
        picture: None,
        roles: &[],
        now: NOW,
    }
}

/// A fresh store with two courses, and its URL (for a second instance).
async fn two_courses() -> (Store, CourseId, CourseId, String) {
    let url = fresh_database().await;
    let store = Store::connect(&url, 5).await.unwrap();
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
    let a = store.upsert_course(&launch(reg.id, "c1")).await.unwrap();
    let b = store.upsert_course(&launch(reg.id, "c2")).await.unwrap();
    (store, a, b, url)
}

fn members() -> Vec<PersonId> {
    vec![who("ana"), who("bo")]
}

fn who(p: &str) -> PersonId {
    PersonId::new(p)
}

/// A person's own field.
fn own(p: &str) -> FieldOwner {
    FieldOwner::Person(who(p))
}

/// The writer of every event here.
static ANA: std::sync::LazyLock<PersonId> = std::sync::LazyLock::new(|| who("ana"));

fn new_session(members: &[PersonId], ordinal: i32) -> NewSession<'_> {
    NewSession {
        activity: ACTIVITY,
        module: ACTIVITY,
        group_key: "ana|bo",
        members,
        ordinal,
        now: NOW,
    }
}

async fn open(store: &Store, course: CourseId) -> SessionRow {
    store
        .open_session(course, new_session(&members(), 0))
        .await
        .unwrap()
}

fn event<'a>(session: SessionId, after: i64, payload: &'a str) -> NewEvent<'a> {
    NewEvent {
        session_id: session,
        expected_last_seq: after,
        actor: &ANA,
        payload,
        snapshot: Some(r#"{"step":1}"#),
        status: SessionStatus::InProgress,
        status_detail: Some(&DETAIL),
        now: NOW + after,
    }
}

/// Appends one event in its own transaction.
async fn append(
    store: &Store,
    course: CourseId,
    session: SessionId,
    after: i64,
) -> Result<i64, StoreError> {
    let payload = format!(r#"{{"n":{}}}"#, after + 1);
    let tx = store.begin(course).await?;
    let seq = tx.append_event(event(session, after, &payload)).await?;
    tx.commit().await?;
    Ok(seq)
}

async fn save(
    store: &Store,
    course: CourseId,
    session: SessionId,
    text: &str,
    version: i64,
) -> Result<FieldSave, StoreError> {
    let tx = store.begin(course).await?;
    let r = tx
        .save_field(session, &own("ana"), "situation", text, version, NOW)
        .await?;
    tx.commit().await?;
    Ok(r)
}

#[tokio::test]
async fn coaching_store_open_session_is_idempotent() {
    let (store, course, _, url) = two_courses().await;
    let first = open(&store, course).await;
    assert_eq!(first.summary.last_seq, 0);
    assert_eq!(first.summary.status, SessionStatus::NotStarted);
    assert_eq!(first.summary.members, members());
    assert_eq!(first.course, course);
    assert_eq!(open(&store, course).await, first);

    // Two instances opening the next practice session at the same moment get one row.
    let other = Store::connect(&url, 5).await.unwrap();
    let m = members();
    let (x, y) = tokio::join!(
        store.open_session(course, new_session(&m, 1)),
        other.open_session(course, new_session(&m, 1)),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.summary.id, y.summary.id);
    assert_ne!(x.summary.id, first.summary.id);
    let group = store
        .sessions_of_group(course, ACTIVITY, "ana|bo")
        .await
        .unwrap();
    assert_eq!(
        group.iter().map(|s| s.summary.ordinal).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

#[tokio::test]
async fn coaching_store_append_checks_the_expected_seq() {
    let (store, course, _, _) = two_courses().await;
    let s = open(&store, course).await;
    assert_eq!(append(&store, course, s.summary.id, 0).await.unwrap(), 1);
    assert_eq!(append(&store, course, s.summary.id, 1).await.unwrap(), 2);
    match append(&store, course, s.summary.id, 1).await {
        Err(StoreError::SessionMoved { session, last_seq }) => {
            assert_eq!((session, last_seq), (s.summary.id, 2));
        }
        other => panic!("expected SessionMoved, got {other:?}"),
    }
    let row = store.session(course, s.summary.id).await.unwrap();
    assert_eq!(row.summary.last_seq, 2);
    assert_eq!(row.snapshot.as_deref(), Some(r#"{"step":1}"#));
    assert_eq!(row.summary.status, SessionStatus::InProgress);
    assert_eq!(row.summary.status_detail.as_ref(), Some(&DETAIL));
    assert_eq!(row.summary.completed_at, None);

    // A rolled-back append leaves nothing behind.
    let tx = store.begin(course).await.unwrap();
    tx.append_event(event(s.summary.id, 2, "{}")).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        store
            .session(course, s.summary.id)
            .await
            .unwrap()
            .summary
            .last_seq,
        2
    );
    assert_eq!(append(&store, course, s.summary.id, 2).await.unwrap(), 3);

    // Completion: the session's time and each learner's, in the completing transaction.
    let tx = store.begin(course).await.unwrap();
    tx.append_event(NewEvent {
        status: SessionStatus::Completed,
        status_detail: None,
        ..event(s.summary.id, 3, r#"{"closed":true}"#)
    })
    .await
    .unwrap();
    assert!(
        tx.record_completion(s.summary.id, &who("ana"), NOW + 9)
            .await
            .unwrap()
    );
    assert!(
        tx.record_completion(s.summary.id, &who("bo"), NOW + 9)
            .await
            .unwrap()
    );
    assert!(
        !tx.record_completion(s.summary.id, &who("bo"), NOW + 10)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let row = store.session(course, s.summary.id).await.unwrap();
    assert_eq!(row.summary.status, SessionStatus::Completed);
    assert_eq!(row.summary.completed_at, Some(NOW + 3));
    let done = store.completions(course, ACTIVITY).await.unwrap();
    assert_eq!(
        done.iter()
            .map(|c| (c.person_id.as_str(), c.completed_at))
            .collect::<Vec<_>>(),
        vec![("ana", NOW + 9), ("bo", NOW + 9)]
    );
    let staff = store.sessions_of_activity(course, ACTIVITY).await.unwrap();
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].status, SessionStatus::Completed);
    assert_eq!(staff[0].last_seq, 4);
}

#[tokio::test]
async fn coaching_store_concurrent_appends_one_wins() {
    let (store, course, _, url) = two_courses().await;
    let other = Store::connect(&url, 5).await.unwrap();
    let s = open(&store, course).await;
    let (x, y) = tokio::join!(
        append(&store, course, s.summary.id, 0),
        append(&other, course, s.summary.id, 0)
    );
    let wins = [&x, &y].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{x:?} {y:?}");
    assert!(
        [x, y]
            .into_iter()
            .any(|r| matches!(r, Err(StoreError::SessionMoved { last_seq: 1, .. })))
    );
}

#[tokio::test]
async fn coaching_store_events_since_in_order_and_bounded() {
    let (store, course, _, _) = two_courses().await;
    let s = open(&store, course).await;
    assert!(
        store
            .events_since(course, s.summary.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    for after in 0..7 {
        append(&store, course, s.summary.id, after).await.unwrap();
    }
    let all = store
        .events_since(course, s.summary.id, 0, 100)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    assert_eq!(all[0].payload, r#"{"n":1}"#);
    assert_eq!(all[0].actor, "ana");
    let page = store
        .events_since(course, s.summary.id, 2, 3)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
    assert!(
        store
            .events_since(course, s.summary.id, 7, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn coaching_store_field_versions() {
    let (store, course, _, _) = two_courses().await;
    let s = open(&store, course).await;
    assert_eq!(
        save(&store, course, s.summary.id, "first", 0)
            .await
            .unwrap(),
        FieldSave::Saved { version: 1 }
    );
    // A second tab that also thought the field was new.
    assert_eq!(
        save(&store, course, s.summary.id, "other tab", 0)
            .await
            .unwrap(),
        FieldSave::Stale {
            current_text: "first".into(),
            current_version: 1
        }
    );
    assert_eq!(
        save(&store, course, s.summary.id, "second", 1)
            .await
            .unwrap(),
        FieldSave::Saved { version: 2 }
    );
    assert_eq!(
        save(&store, course, s.summary.id, "stale", 1)
            .await
            .unwrap(),
        FieldSave::Stale {
            current_text: "second".into(),
            current_version: 2
        }
    );
    let tx = store.begin(course).await.unwrap();
    tx.save_field(s.summary.id, &own("bo"), "scratchpad", "bo's", 0, NOW)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let fields = store.fields(course, s.summary.id).await.unwrap();
    assert_eq!(
        fields
            .iter()
            .map(|f| (&f.owner, f.field.as_str(), f.text.as_str(), f.version))
            .collect::<Vec<_>>(),
        vec![
            (&own("ana"), "situation", "second", 2),
            (&own("bo"), "scratchpad", "bo's", 1)
        ]
    );
}

#[tokio::test]
async fn coaching_store_concurrent_field_saves_lose_nothing() {
    let (store, course, _, url) = two_courses().await;
    let other = Store::connect(&url, 5).await.unwrap();
    let s = open(&store, course).await;
    // Two devices of one person: both create, then both save over version 1.
    for (version, texts) in [(0, ["tab a", "tab b"]), (1, ["tab a again", "tab b again"])] {
        let (x, y) = tokio::join!(
            save(&store, course, s.summary.id, texts[0], version),
            save(&other, course, s.summary.id, texts[1], version)
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        let saved = FieldSave::Saved {
            version: version + 1,
        };
        let (won, lost, winner) = if x == saved {
            (x, y, texts[0])
        } else {
            (y, x, texts[1])
        };
        assert_eq!(won, saved);
        assert_eq!(
            lost,
            FieldSave::Stale {
                current_text: winner.into(),
                current_version: version + 1
            }
        );
    }
}

#[tokio::test]
async fn coaching_store_deleting_notes_removes_the_rows() {
    let (store, course, _, _) = two_courses().await;
    let s = open(&store, course).await;
    save(&store, course, s.summary.id, "secret words", 0)
        .await
        .unwrap();
    let tx = store.begin(course).await.unwrap();
    tx.save_field(s.summary.id, &own("ana"), "takeaway", "more words", 0, NOW)
        .await
        .unwrap();
    tx.save_field(s.summary.id, &own("bo"), "takeaway", "bo keeps", 0, NOW)
        .await
        .unwrap();
    assert_eq!(
        tx.delete_fields(s.summary.id, &who("ana")).await.unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let left = store.fields(course, s.summary.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].owner, own("bo"));
    // Gone from the table itself, not only from the queries.
    let rows = store
        .connection()
        .query_all_raw(Statement::from_string(
            store.connection().get_database_backend(),
            "SELECT text FROM coaching_fields",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    // A save over the deleted version finds nothing there.
    assert_eq!(
        save(&store, course, s.summary.id, "again", 1)
            .await
            .unwrap(),
        FieldSave::Stale {
            current_text: String::new(),
            current_version: 0
        }
    );
}

#[tokio::test]
async fn coaching_store_is_scoped_by_course() {
    let (store, course, elsewhere, _) = two_courses().await;
    let s = open(&store, course).await;
    append(&store, course, s.summary.id, 0).await.unwrap();
    save(&store, course, s.summary.id, "mine", 0).await.unwrap();

    assert!(not_found(store.session(elsewhere, s.summary.id).await));
    assert!(not_found(
        store.events_since(elsewhere, s.summary.id, 0, 10).await
    ));
    assert!(not_found(store.fields(elsewhere, s.summary.id).await));
    assert!(
        store
            .sessions_of_activity(elsewhere, ACTIVITY)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .sessions_of_group(elsewhere, ACTIVITY, "ana|bo")
            .await
            .unwrap()
            .is_empty()
    );

    let tx = store.begin(elsewhere).await.unwrap();
    assert!(not_found(tx.session(s.summary.id).await));
    assert!(not_found(
        tx.append_event(event(s.summary.id, 1, "{}")).await
    ));
    for version in [0, 1] {
        assert!(not_found(
            tx.save_field(s.summary.id, &own("ana"), "situation", "x", version, NOW)
                .await
        ));
    }
    assert!(not_found(tx.delete_fields(s.summary.id, &who("ana")).await));
    assert!(not_found(
        tx.record_completion(s.summary.id, &who("ana"), NOW).await
    ));
    tx.commit().await.unwrap();

    // Nothing changed in the session's own course.
    let row = store.session(course, s.summary.id).await.unwrap();
    assert_eq!(row.summary.last_seq, 1);
    let fields = store.fields(course, s.summary.id).await.unwrap();
    assert_eq!((fields[0].text.as_str(), fields[0].version), ("mine", 1));
    assert!(
        store
            .completions(course, ACTIVITY)
            .await
            .unwrap()
            .is_empty()
    );
}

fn not_found<T>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

/// The next wake-up, within `secs`.
async fn wake_within(sub: &mut Subscription, secs: u64) -> Option<Wake> {
    tokio::time::timeout(Duration::from_secs(secs), sub.wake())
        .await
        .ok()
}

#[tokio::test]
async fn coaching_store_hub_wakes_local_subscribers() {
    let (store, course, _, _) = two_courses().await;
    let hub = Hub::new(store.clone());
    let s = open(&store, course).await;
    let mut a = hub.subscribe(s.summary.id);
    let mut b = hub.subscribe(s.summary.id);
    assert_eq!((hub.watched(), hub.subscribers(s.summary.id)), (1, 2));

    let seq = append(&store, course, s.summary.id, 0).await.unwrap();
    assert_eq!(hub.published(s.summary.id, seq, Echo::Change), 2);
    // The same event heard again (a NOTIFY of our own write) wakes nobody.
    assert_eq!(hub.published(s.summary.id, seq, Echo::Change), 0);
    let w = wake_within(&mut a, 1).await.expect("a woken");
    assert_eq!((w.seq, w.resync), (1, false));
    assert!(w.needs_read(0) && !w.needs_read(1));
    // The entry is told from memory.
    assert_eq!(w.told_after(0), Some(vec![(1, Echo::Change)]));
    assert_eq!(wake_within(&mut b, 1).await.map(|w| w.seq), Some(1));
    assert!(wake_within(&mut a, 0).await.is_none(), "one wake per event");

    // Two events while busy fold into one wake-up with the latest, and both echoes.
    hub.published(s.summary.id, 2, Echo::Field);
    hub.published(s.summary.id, 3, Echo::Presence);
    let w = wake_within(&mut a, 1).await.expect("a woken");
    assert_eq!(w.seq, 3);
    assert_eq!(
        w.told_after(1),
        Some(vec![(2, Echo::Field), (3, Echo::Presence)])
    );

    assert_eq!(hub.resync(), 2);
    assert!(wake_within(&mut a, 1).await.expect("resync").resync);

    // A session nobody follows here costs nothing; the last subscriber takes its channel.
    let elsewhere = SessionId::new(s.summary.id.get() + 1);
    assert_eq!(hub.published(elsewhere, 1, Echo::Change), 0);
    drop(a);
    assert_eq!((hub.watched(), hub.subscribers(s.summary.id)), (1, 1));
    drop(b);
    assert_eq!(hub.watched(), 0);

    // On SQLite there is nothing to listen to.
    if !store.is_postgres() {
        assert!(hub.start().await.unwrap().is_none());
    }
}

#[tokio::test]
async fn coaching_store_catch_up_reads_the_changed_sessions_only() {
    let (store, course, _, _) = two_courses().await;
    let hub = Hub::new(store.clone());
    let s = open(&store, course).await;
    let members = members();
    let quiet = store
        .open_session(course, new_session(&members, 1))
        .await
        .unwrap();
    let mut sub = hub.subscribe(s.summary.id);
    let _other = hub.subscribe(quiet.summary.id);
    // Written without an announcement (its writer died before it): the catch-up finds it
    // among the sessions changed since it last looked...
    let seq = append(&store, course, s.summary.id, 0).await.unwrap();
    assert_eq!(
        hub.catch_up_since(NOW + 1000).await.unwrap(),
        0,
        "not changed since"
    );
    assert_eq!(hub.catch_up_since(NOW - 10).await.unwrap(), 1);
    assert_eq!(wake_within(&mut sub, 1).await.map(|w| w.seq), Some(seq));
    // ...once: what it woke for is known now.
    assert_eq!(hub.catch_up_since(NOW - 10).await.unwrap(), 0);
    assert_eq!(
        store
            .sessions_changed_since(NOW - 10)
            .await
            .unwrap()
            .map(|r| r.len()),
        Some(2),
        "both sessions changed (one opened), one was behind"
    );
}

#[tokio::test]
async fn coaching_store_hub_holds_many_subscribers_cheaply() {
    let (store, _, _, _) = two_courses().await;
    let hub = Hub::new(store);
    // Ten thousand screens on five thousand sessions: no session row is needed to follow.
    let mut subs: Vec<Subscription> = (0..10_000)
        .map(|i| hub.subscribe(SessionId::new(i / 2)))
        .collect();
    assert_eq!(hub.watched(), 5_000);
    assert!(std::mem::size_of::<Subscription>() <= 64);
    let woken: usize = (0..5_000)
        .map(|s| hub.published(SessionId::new(s), 1, Echo::Change))
        .sum();
    assert_eq!(woken, 10_000);
    for sub in subs.iter_mut().take(100) {
        assert_eq!(wake_within(sub, 1).await.map(|w| w.seq), Some(1));
    }
    subs.truncate(5_000);
    assert_eq!(hub.watched(), 2_500);
    drop(subs);
    assert_eq!(hub.watched(), 0);
}

/// Reads what a subscriber has not seen, as an SSE connection would.
async fn catch_up(store: &Store, course: CourseId, session: SessionId, last: &mut i64) -> Vec<i64> {
    let events = store
        .events_since(course, session, *last, 100)
        .await
        .unwrap();
    if let Some(e) = events.last() {
        *last = e.seq;
    }
    events.into_iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn coaching_store_two_instances_on_postgres() {
    let (a, course, _, url) = two_courses().await;
    if !a.is_postgres() {
        return;
    }
    let b = Store::connect(&url, 5).await.unwrap();
    let (hub_a, hub_b) = (Hub::new(a.clone()), Hub::new(b.clone()));
    let relay_a = hub_a.start().await.unwrap().expect("a listener");
    let relay_b = hub_b.start().await.unwrap().expect("b listener");
    let s = open(&a, course).await;

    // A member on instance B follows the session; the other writes on instance A.
    let mut sub = hub_b.subscribe(s.summary.id);
    let mut local = hub_a.subscribe(s.summary.id);
    let mut last = 0;
    assert!(
        catch_up(&b, course, s.summary.id, &mut last)
            .await
            .is_empty()
    );
    let seq = append(&a, course, s.summary.id, 0).await.unwrap();
    hub_a.published(s.summary.id, seq, Echo::Field);
    let w = wake_within(&mut sub, 1)
        .await
        .expect("B woken within a second");
    assert!(w.needs_read(last));
    // The notification carries what the entry tells, so B's streams need not read it.
    assert_eq!(w.told_after(last), Some(vec![(1, Echo::Field)]));
    assert_eq!(catch_up(&b, course, s.summary.id, &mut last).await, vec![1]);
    // The writer's instance woke its own subscriber once, not again when its NOTIFY came
    // back through its listener.
    assert_eq!(wake_within(&mut local, 1).await.map(|w| w.seq), Some(1));
    assert!(wake_within(&mut local, 1).await.is_none(), "no double wake");

    // An append whose writer died before announcing it is found by the catch-up.
    let quiet = append(&a, course, s.summary.id, 1).await.unwrap();
    let w = wake_within(&mut sub, 5)
        .await
        .expect("found by the catch-up");
    assert_eq!(w.seq, quiet);
    // The catch-up knows the number only: B's streams read.
    assert_eq!(w.told_after(last), None);
    assert_eq!(catch_up(&b, course, s.summary.id, &mut last).await, vec![2]);

    // A rolled-back append notifies nobody.
    let tx = a.begin(course).await.unwrap();
    tx.append_event(event(s.summary.id, 2, "{}")).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(wake_within(&mut sub, 1).await.is_none());

    // Kill the listeners' connections (both instances'), and write while they are down.
    let killed = a
        .connection()
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%' \
             AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap();
    assert_eq!(killed.len(), 2, "both listeners found");
    append(&a, course, s.summary.id, 2).await.unwrap();

    // B's subscriber is told to re-read, and finds what was written meanwhile.
    let mut resynced = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(resynced && last == 3) {
        let w = tokio::time::timeout_at(deadline, sub.wake())
            .await
            .expect("a wake-up after the reconnect");
        resynced |= w.resync;
        catch_up(&b, course, s.summary.id, &mut last).await;
    }

    // And the listener works again: the next event arrives within a second.
    // (A wake-up for event 2 may still come late, through the new connection: it is a hint
    // of something already read, which a subscriber tells by its own last seq.)
    let seq = append(&a, course, s.summary.id, 3).await.unwrap();
    hub_a.published(s.summary.id, seq, Echo::Change);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    let w = loop {
        let w = tokio::time::timeout_at(deadline, sub.wake())
            .await
            .expect("woken within a second after the reconnect");
        if w.needs_read(last) {
            break w;
        }
    };
    assert_eq!(w.seq, 4);
    assert_eq!(catch_up(&b, course, s.summary.id, &mut last).await, vec![4]);

    // Closing a store ends its relay (shutdown), and the other instance's keeps going.
    tokio::time::timeout(Duration::from_secs(5), b.connection().close_by_ref())
        .await
        .expect("the pool closes with the listener in it")
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), relay_b)
        .await
        .expect("B's relay ends")
        .unwrap();
    assert!(!relay_a.is_finished());
    relay_a.abort();
}
