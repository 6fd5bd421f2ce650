//! Roster sync over NRPS with service tokens, and the instructor's pairing workflow, through
//! the real HTTP surface against the test platform's token and NRPS endpoints.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{draft_groups, session_token, spawn_app};
use crate::platform::Failure;

const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";

fn rows(html: &str) -> Vec<(String, String, String)> {
    html.split("<tr data-user=\"")
        .skip(1)
        .map(|s| {
            let id: String = s.chars().take_while(|c| *c != '"').collect();
            let attr = |name: &str| {
                let k = format!("{name}=\"");
                let at = s.find(&k).unwrap() + k.len();
                s[at..]
                    .chars()
                    .take_while(|c| *c != '"')
                    .collect::<String>()
            };
            (id, attr("data-role"), attr("data-status"))
        })
        .collect()
}

#[tokio::test]
async fn staff_launch_brings_the_whole_roster_in_over_several_pages_with_one_token() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    // The staff launch starts a sync in the background.
    let mut html = String::new();
    for _ in 0..50 {
        html = app.page("/app", &t).await;
        if rows(&html).len() >= 13 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = rows(&html);
    assert_eq!(r.len(), 13, "every member, across pages of 4: {r:?}");
    assert!(app.platform.nrps_hits() >= 4, "followed Link: rel=next");
    let role = |id: &str| {
        r.iter()
            .find(|x| x.0 == id)
            .map(|x| (x.1.clone(), x.2.clone()))
            .unwrap()
    };
    assert_eq!(role("3").0, "staff");
    assert_eq!(
        role("104").0,
        "staff",
        "teaching assistant (full URI sub-role)"
    );
    assert_eq!(role("4").0, "learner", "short role name");
    assert_eq!(role("103").0, "learner", "full URI role");
    assert_eq!(role("101").1, "Inactive");
    assert_eq!(role("102").1, "Deleted");
    assert!(
        html.contains("#105"),
        "a member without a shared name shows their LMS id"
    );

    // The assertion was made as the spec says.
    let a = app.platform.last_assertion().unwrap();
    assert_eq!(a["iss"], crate::platform::CLIENT_ID);
    assert_eq!(a["sub"], crate::platform::CLIENT_ID);
    assert_eq!(a["aud"], app.platform.token_url());
    assert!(
        a["iat"].as_i64().unwrap() < crate::platform::now(),
        "iat backdated for clock skew"
    );

    // More syncs reuse the cached token.
    app.post_ok("/app/roster/refresh", &t).await;
    app.post_ok("/app/roster/refresh", &t).await;
    assert_eq!(
        app.platform.token_hits(),
        1,
        "one token request for many NRPS calls"
    );
}

#[tokio::test]
async fn a_failing_page_leaves_the_stored_roster_untouched_and_says_so() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    let before = rows(&app.page("/app", &t).await);
    assert_eq!(before.len(), 13);
    // The roster shrinks on the platform, but page 2 fails: nothing may change.
    let mut fewer = app.platform.members();
    fewer.truncate(6);
    app.platform.set_members(fewer);
    for failure in [Failure::ServerError, Failure::InvalidJson] {
        app.platform.set_nrps_fail_page(Some((2, failure)));
        let r = app
            .http
            .post(format!("{}/app/roster/refresh", app.base))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .contains("notice_sync_failed")
        );
        let html = app.page("/app", &t).await;
        assert_eq!(
            rows(&html),
            before,
            "{failure:?}: the previous roster is kept whole"
        );
        assert!(
            html.contains("id=\"sync-error\""),
            "{failure:?}: the error is shown to the instructor"
        );
    }
    app.platform.set_nrps_fail_page(None);
    app.post_ok("/app/roster/refresh", &t).await;
    let html = app.page("/app", &t).await;
    assert_eq!(rows(&html).len(), 6, "a complete read replaces the roster");
    assert!(!html.contains("id=\"sync-error\""));
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    let hits = app.platform.token_hits();
    app.platform.force_nrps_401_once();
    let r = app
        .http
        .post(format!("{}/app/roster/refresh", app.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("notice_synced")
    );
    assert_eq!(
        app.platform.token_hits(),
        hits + 1,
        "one fresh token after the 401"
    );
}

#[tokio::test]
async fn propose_edit_publish_and_each_learner_sees_only_their_partner() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    app.post_ok("/app/pairs/propose", &t).await;
    let html = app.page("/app", &t).await;
    let groups = draft_groups(&html);
    let placed: Vec<&String> = groups.iter().flatten().collect();
    // Nine active learners: 4..10, 103 and 105; staff (3, 104) and inactive (101, 102) never.
    let mut sorted: Vec<&str> = placed.iter().map(|s| s.as_str()).collect();
    sorted.sort();
    assert_eq!(
        sorted,
        vec!["10", "103", "105", "4", "5", "6", "7", "8", "9"]
    );
    assert_eq!(
        groups.iter().filter(|g| g.len() == 3).count(),
        1,
        "one trio for an odd count"
    );
    assert!(groups.iter().all(|g| g.len() == 2 || g.len() == 3));

    // Lock a pair, propose again: it survives.
    let locked = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    assert_eq!(
        app.post_form(
            "/app/pairs/edit",
            &t,
            &[("action", "lock"), ("a", &locked[0])]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    app.post_ok("/app/pairs/propose", &t).await;
    let groups = draft_groups(&app.page("/app", &t).await);
    assert!(
        groups.iter().any(|g| {
            let mut a = g.clone();
            a.sort();
            let mut b = locked.clone();
            b.sort();
            a == b
        }),
        "the locked pair is kept"
    );

    // Swap two learners of two different pairs.
    let pairs: Vec<&Vec<String>> = groups.iter().filter(|g| g.len() == 2).collect();
    let (x, y) = (pairs[0][0].clone(), pairs[1][0].clone());
    assert_eq!(
        app.post_form(
            "/app/pairs/edit",
            &t,
            &[("action", "swap"), ("a", &x), ("b", &y)]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let after = draft_groups(&app.page("/app", &t).await);
    assert!(
        after
            .iter()
            .any(|g| g.contains(&x) && g.contains(&pairs[1][1]))
    );

    app.post_ok("/app/pairs/publish", &t).await;
    let published = after.clone();
    let html = app.page("/app", &t).await;
    assert!(html.contains("Published pairs"));
    assert!(
        html.contains("publish"),
        "the change log records the publication"
    );

    // Learner 4 sees their partner(s), and nobody else's pair.
    let (_, page4) = app.learner_launch("4").await;
    let mine = published
        .iter()
        .find(|g| g.contains(&"4".to_string()))
        .unwrap();
    assert!(page4.contains("Your partner"), "{page4}");
    // The partner section names the learner's own group only (the declaration form lists the
    // course's people, as the LMS participants page does, but never who is paired with whom).
    let start = page4.find("id=\"partner\"").unwrap();
    let body = &page4[start..start + page4[start..].find("</section>").unwrap()];
    assert!(
        !page4.contains("data-members"),
        "no pair set is in a learner's page"
    );
    let names = |id: &str| match id {
        "4" => "Ada Student1",
        "5" => "Brian Student2",
        "6" => "Chloe Student3",
        "7" => "Dmitri Student4",
        "8" => "Esther Student5",
        "9" => "Farid Student6",
        "10" => "Grace Student7",
        "103" => "Jonas Fulluri",
        _ => "name not shared by the LMS",
    };
    for g in &published {
        for m in g {
            let shown = body.matches(names(m)).count() > 0;
            if m == "4" {
                continue;
            } else if mine.contains(m) {
                assert!(shown, "own group member {m} is shown");
            } else if m != "105" {
                assert!(!shown, "{m} of another pair must not be shown to learner 4");
            }
        }
    }
}

#[tokio::test]
async fn uploaded_and_declared_hierarchical_links_are_honoured_and_declarations_stay_private() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    // 4 manages 5 who manages 6 (so 4–6 is excluded too); line 3 and 4 are bad.
    let csv =
        "student1@example.com,student2@example.com\n5,6\nnobody@example.com,4\njust-one-value\n";
    let r = app
        .http
        .post(format!("{}/app/links", app.base))
        .bearer_auth(&t)
        .form(&[("csv", csv)])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"upload-added\">2<"), "{html}");
    assert!(html.contains("data-line=\"3\"") && html.contains("data-line=\"4\""));
    assert!(html.contains("nobody@example.com"));

    // Learner 7 privately declares a hierarchical link with 8.
    let (lt, _) = app.learner_launch("7").await;
    assert_eq!(
        app.post_form(
            "/app/profile",
            &lt,
            &[("action", "declare"), ("other", "8"), ("kind", "manager")]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let mine = app.page("/app/declare", &lt).await;
    assert!(mine.contains("id=\"declared\""));
    // Learner 8 and the staff page never see it.
    let (t8, _) = app.learner_launch("8").await;
    assert!(
        !app.page("/app/declare", &t8)
            .await
            .contains("id=\"declared\"")
    );
    let staff_page = app.page("/app", &t).await;
    assert!(
        staff_page.contains("<span id=\"staff-links\">2</span>"),
        "the declaration is not counted or listed for staff"
    );

    for seed_round in 0..3 {
        app.post_ok("/app/pairs/propose", &t).await;
        let groups = draft_groups(&app.page("/app", &t).await);
        for g in &groups {
            for (a, b) in [("4", "5"), ("5", "6"), ("4", "6"), ("7", "8")] {
                assert!(
                    !(g.contains(&a.to_string()) && g.contains(&b.to_string())),
                    "round {seed_round}: {a} and {b} together in {g:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn learners_pick_their_field_context_from_the_staff_list() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    assert_eq!(
        app.post_form(
            "/app/settings",
            &t,
            &[
                ("tags", "sector: health\nsector: education\njob: trainer"),
                ("policy", "keep")
            ]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let (lt, body) = app.learner_launch("4").await;
    assert!(body.contains("sector: education"));
    assert_eq!(
        app.post_form(
            "/app/profile",
            &lt,
            &[
                ("action", "tags"),
                ("tag", "sector: health"),
                ("tag", "job: trainer"),
                ("tag", "made-up")
            ]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    app.post_ok("/app/roster/refresh", &t).await;
    let html = app.page("/app", &t).await;
    assert!(
        html.contains("sector: health, job: trainer"),
        "staff see the learner's tags; unknown tags are dropped"
    );
    assert!(!html.contains("made-up"));
}

#[tokio::test]
async fn without_a_roster_service_learners_who_launched_are_the_roster() {
    let app = spawn_app().await;
    for sub in ["4", "5", "6"] {
        let sub = sub.to_string();
        let (status, _) = app
            .launch_with(move |c| {
                c["sub"] = sub.into();
                c.as_object_mut()
                    .unwrap()
                    .remove("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice");
                c["https://purl.imsglobal.org/spec/lti/claim/custom"]
                    .as_object_mut()
                    .unwrap()
                    .remove("context_memberships_url");
            })
            .await;
        assert_eq!(status, 200);
    }
    let (_, body) = app
        .launch_with(|c| {
            c["sub"] = "3".into();
            c[ROLES] = json!(["Instructor"]);
            c.as_object_mut()
                .unwrap()
                .remove("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice");
            c["https://purl.imsglobal.org/spec/lti/claim/custom"]
                .as_object_mut()
                .unwrap()
                .remove("context_memberships_url");
        })
        .await;
    assert!(body.contains("no roster service"), "{body}");
    let t = session_token(&body);
    app.post_ok("/app/pairs/propose", &t).await;
    let groups = draft_groups(&app.page("/app", &t).await);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].len(), 3, "three learners launched: one trio");
}

#[tokio::test]
async fn learners_cannot_use_staff_actions() {
    let app = spawn_app().await;
    let (lt, _) = app.learner_launch("4").await;
    for path in [
        "/app/roster/refresh",
        "/app/pairs/propose",
        "/app/pairs/publish",
        "/app/settings",
        "/app/links",
    ] {
        assert_eq!(
            app.post_form(path, &lt, &[]).await.status().as_u16(),
            403,
            "{path}"
        );
    }
}

#[tokio::test]
async fn pairs_are_kept_across_modules_with_a_drop_out_and_a_late_joiner() {
    let app = spawn_app().await;
    let t1 = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t1).await;
    app.post_ok("/app/pairs/propose", &t1).await;
    let module1 = draft_groups(&app.page("/app", &t1).await);
    app.post_ok("/app/pairs/publish", &t1).await;

    // Between the modules learner 5 leaves and learner 106 joins.
    let mut members = app.platform.members();
    for m in members.iter_mut() {
        if m["user_id"] == "5" {
            m["status"] = "Inactive".into();
        }
    }
    members.push(json!({"user_id": "106", "name": "Lea Latejoiner", "email": "late@example.com", "roles": ["Learner"], "status": "Active"}));
    app.platform.set_members(members);

    let t2 = app.staff_launch(Some("module-2")).await.0;
    app.post_ok("/app/roster/refresh", &t2).await;
    app.post_ok("/app/pairs/propose", &t2).await;
    let module2 = draft_groups(&app.page("/app", &t2).await);
    let placed: Vec<&String> = module2.iter().flatten().collect();
    assert!(
        !placed.contains(&&"5".to_string()),
        "the drop-out is not placed"
    );
    assert!(
        placed.contains(&&"106".to_string()),
        "the late joiner is placed"
    );
    // Every pair of module 1 without the drop-out is still together in module 2.
    for g in module1.iter().filter(|g| !g.contains(&"5".to_string())) {
        let kept = module2.iter().any(|h| g.iter().all(|m| h.contains(m)));
        assert!(kept, "intact group {g:?} kept in {module2:?}");
    }
    assert!(module2.iter().filter(|g| g.len() == 3).count() <= 1);
}

#[tokio::test]
async fn the_same_link_declared_by_both_people_stays_until_both_withdraw() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    let (t7, _) = app.learner_launch("7").await;
    let (t8, _) = app.learner_launch("8").await;
    // 7 says 8 is their manager; 8 says 7 reports to them: the same link, twice.
    assert_eq!(
        app.post_form(
            "/app/profile",
            &t7,
            &[("action", "declare"), ("other", "8"), ("kind", "manager")]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    assert_eq!(
        app.post_form(
            "/app/profile",
            &t8,
            &[("action", "declare"), ("other", "7"), ("kind", "report")]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let page8 = app.page("/app/declare", &t8).await;
    assert!(
        page8.contains("id=\"declared\""),
        "8 sees their own declaration, not a hint of 7's"
    );
    // 7 withdraws theirs; 8's still keeps them apart.
    let page7 = app.page("/app/declare", &t7).await;
    let at = page7.find("name=\"id\" value=\"").unwrap() + 17;
    let id: String = page7[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    assert_eq!(
        app.post_form("/app/profile", &t7, &[("action", "remove"), ("id", &id)])
            .await
            .status()
            .as_u16(),
        303
    );
    assert!(
        !app.page("/app/declare", &t7)
            .await
            .contains("id=\"declared\"")
    );
    for _ in 0..3 {
        app.post_ok("/app/pairs/propose", &t).await;
        let groups = draft_groups(&app.page("/app", &t).await);
        assert!(
            !groups
                .iter()
                .any(|g| g.contains(&"7".to_string()) && g.contains(&"8".to_string()))
        );
    }
}

#[tokio::test]
async fn mentors_and_observers_see_but_cannot_change_and_see_no_emails() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    let p = app.platform.clone();
    let (status, body) = app
        .launch_with(move |c| {
            c["sub"] = "200".into();
            c[ROLES] = json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]);
            p.use_test_services(c);
        })
        .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("id=\"roster\""),
        "a mentor gets the staff view"
    );
    assert!(!body.contains("student1@example.com"), "but no emails");
    assert!(!body.contains("id=\"propose\""), "and no actions");
    let mt = session_token(&body);
    for path in [
        "/app/roster/refresh",
        "/app/pairs/propose",
        "/app/settings",
        "/app/links",
    ] {
        assert_eq!(
            app.post_form(path, &mt, &[]).await.status().as_u16(),
            403,
            "{path}"
        );
    }
}

#[tokio::test]
async fn exclusions_of_people_outside_the_course_or_with_nul_bytes_are_refused_cleanly() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    app.post_ok("/app/pairs/propose", &t).await;
    let r = app
        .http
        .post(format!("{}/app/pairs/edit", app.base))
        .bearer_auth(&t)
        .form(&[("action", "exclude"), ("a", "4"), ("b", "nobody")])
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("notice_refused")
    );
    let r = app
        .http
        .post(format!("{}/app/pairs/edit", app.base))
        .bearer_auth(&t)
        .form(&[("action", "exclude"), ("a", "4"), ("b", "\0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn the_declaration_page_lists_learners_by_name_only() {
    let app = spawn_app().await;
    let t = app.staff_launch(None).await.0;
    app.post_ok("/app/roster/refresh", &t).await;
    let (lt, _) = app.learner_launch("4").await;
    let r = app
        .http
        .get(format!("{}/app/declare", app.base))
        .bearer_auth(&lt)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Brian Student2") && html.contains("name not shared by the LMS"));
    assert!(!html.contains("Ada Student1"), "not oneself");
    assert!(
        !html.contains("Tina Teacher") && !html.contains("Kim Assistant"),
        "no staff"
    );
    assert!(!html.contains("Hugo Inactive"), "no inactive members");
    assert!(!html.contains("@example.com"), "no emails");
}
