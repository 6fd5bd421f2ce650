//! The staff dashboard through the real HTTP surface: a course with two modules whose pairs
//! are published in both, one pair completing module 1 (driven by the session's commands),
//! another in progress, one half prepared, one not started. The activity page says where
//! each group stands; the course overview says who met whom in which module and who has not
//! started, with a chart; the CSV export has one row per learner and module. Nothing a
//! learner wrote reaches any of them; learners and mentors are refused; another course's
//! staff see none of it.

use std::collections::HashMap;

use binome::store::PersonId;
use scraper::{ElementRef, Html, Selector};
use serde_json::json;

use crate::helpers::{ROLES_CLAIM, TestApp, spawn_app};
use crate::live::{ok, save};

/// Written into a session's fields: must never reach a staff page or the export.
const SECRET: &str = "DASHBOARD-SECRET-7781";

/// A learner whose name a spreadsheet would read as a formula.
const FORMULA_NAME: &str = "=HYPERLINK(\"x\")";

/// The learners' names by id, as the roster gives them.
fn names(app: &TestApp) -> HashMap<String, String> {
    app.platform
        .members()
        .iter()
        .filter_map(|m| {
            Some((
                m["user_id"].as_str()?.to_string(),
                m["name"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A learner's launch into module `m`, named as the roster names them (the LMS sends the
/// same name in both); returns the session token.
async fn learner_launch(app: &TestApp, sub: &str, m: &str) -> String {
    let member = app
        .platform
        .members()
        .into_iter()
        .find(|x| x["user_id"] == sub)
        .unwrap();
    let (p, m, sub) = (app.platform.clone(), m.to_string(), sub.to_string());
    let (status, body) = app
        .launch_with(move |c| {
            c["sub"] = sub.into();
            for k in ["name", "given_name", "family_name", "email"] {
                c.as_object_mut().unwrap().remove(k);
            }
            for k in ["name", "email"] {
                if let Some(v) = member.get(k) {
                    c[k] = v.clone();
                }
            }
            c["https://purl.imsglobal.org/spec/lti/claim/resource_link"] =
                json!({"id": m, "title": format!("Module {m}")});
            p.use_test_services(c);
        })
        .await;
    assert_eq!(status, 200, "{body}");
    crate::helpers::session_token(&body)
}

/// Launches the members of a group into module `m`, in seat order.
async fn launch_group(app: &TestApp, group: &[String], m: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for p in group {
        tokens.push(learner_launch(app, p, m).await);
        // The session page opens (or creates) the group's session.
        app.page("/app/session", tokens.last().unwrap()).await;
    }
    tokens
}

/// Runs a pair's guided session from the trust framework to completion, as live.rs does.
async fn complete(app: &TestApp, a: &str, b: &str) {
    ok(app, a, "accept_framework").await;
    ok(app, b, "accept_framework").await;
    let (status, _) = save(app, a, "prep_situation.s0", SECRET, 0).await;
    assert_eq!(status, 200);
    ok(app, a, "mark_prepared").await;
    ok(app, b, "mark_prepared").await;
    ok(app, b, "start").await;
    ok(app, a, "next_step").await;
    for _ in 0..4 {
        ok(app, b, "next_step").await;
    }
    ok(app, b, "end_round").await;
    for _ in 0..5 {
        ok(app, a, "next_step").await;
    }
    ok(app, a, "end_round").await;
    ok(app, b, "close").await;
    let (status, _) = save(app, b, "takeaway.s1", SECRET, 0).await;
    assert_eq!(status, 200);
    ok(app, a, "close").await;
}

fn select(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// A row of the dashboard on the staff page: its `data-status` and its cells' HTML.
struct Row {
    status: String,
    html: String,
}

/// The dashboard row of a group on the staff page (by its members' names).
fn row_of(page: &str, members: &[&str]) -> Row {
    let doc = Html::parse_document(page);
    let rows: Vec<Row> = doc
        .select(&select("#sessions tr[data-status]"))
        .map(|tr| Row {
            status: tr.value().attr("data-status").unwrap().to_string(),
            html: tr.inner_html(),
        })
        .collect();
    rows.into_iter()
        .find(|r| members.iter().all(|m| r.html.contains(m)))
        .unwrap_or_else(|| panic!("no row for {members:?} in {page}"))
}

/// The row of a table on the overview whose heading cell (`<th scope="row">`) is `heading`.
fn row_headed<'a>(doc: &'a Html, heading: &str) -> Option<ElementRef<'a>> {
    doc.select(&select("tr")).find(|tr| {
        tr.select(&select("th[scope=row]"))
            .next()
            .is_some_and(|th| th.text().collect::<String>() == heading)
    })
}

/// A figure of the overview's table: the count of `key` for the module titled `title`.
fn figure(page: &str, title: &str, key: &str) -> u32 {
    let doc = Html::parse_document(page);
    let row = row_headed(&doc, title).unwrap_or_else(|| panic!("no figures for {title}"));
    row.select(&select(&format!("td[data-count={key}]")))
        .next()
        .unwrap()
        .text()
        .collect::<String>()
        .parse()
        .unwrap()
}

/// A learner's cells of the overview's matrix: each module's `data-progress` and text.
fn cells_of(page: &str, learner: &str) -> Vec<(String, String)> {
    let doc = Html::parse_document(page);
    let row = row_headed(&doc, learner).expect("the learner's row");
    row.select(&select("td[data-progress]"))
        .map(|td| {
            (
                td.value().attr("data-progress").unwrap().to_string(),
                td.text().collect(),
            )
        })
        .collect()
}

/// The not-started list of a module on the overview, as text.
fn idle_of(page: &str, module: &str) -> String {
    let doc = Html::parse_document(page);
    doc.select(&select(&format!("[data-module={module}]")))
        .next()
        .expect("the module's not-started list")
        .text()
        .collect::<Vec<_>>()
        .join("\n")
}

async fn export(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_form("/app/overview/export", token, &[]).await
}

#[tokio::test]
async fn staff_see_each_group_and_the_course_across_modules_and_never_a_word_written() {
    let app = spawn_app().await;
    let mut members = app.platform.members();
    members.push(
        json!({"user_id": "150", "name": FORMULA_NAME, "email": "formula@example.com",
        "roles": ["Learner"], "status": "Active"}),
    );
    app.platform.set_members(members);
    let (_, groups1) = app.publish_pairs_in(Some("m1")).await;
    let (staff, groups2) = app.publish_pairs_in(Some("m2")).await;
    let names = names(&app);
    let named =
        |g: &Vec<String>| g.len() == 2 && g.iter().all(|p| names.contains_key(p) && p != "150");
    let pairs: Vec<Vec<String>> = groups1.iter().filter(|g| named(g)).cloned().collect();
    assert!(pairs.len() >= 3, "{groups1:?}");
    let (done, going, half) = (&pairs[0], &pairs[1], &pairs[2]);
    // Another group starts nothing; its members with a plain name are looked for by name.
    let idle_group = groups1.iter().find(|g| !pairs[..3].contains(g)).unwrap();
    let idle: Vec<String> = idle_group
        .iter()
        .filter(|p| names.contains_key(*p) && *p != "150")
        .cloned()
        .collect();
    assert!(!idle.is_empty(), "{groups1:?}");
    let idle = &idle;
    let name = |p: &String| names[p].as_str();

    // One pair completes module 1, one is at round 1's analysis, one is half prepared.
    let t = launch_group(&app, done, "m1").await;
    complete(&app, &t[0], &t[1]).await;
    let t = launch_group(&app, going, "m1").await;
    for (who, c) in [
        (0, "accept_framework"),
        (1, "accept_framework"),
        (0, "mark_prepared"),
        (1, "mark_prepared"),
        (1, "start"),
        (0, "next_step"),
        (1, "next_step"),
        (1, "next_step"),
    ] {
        ok(&app, &t[who], c).await;
    }
    let (status, _) = save(&app, &t[0], "global_objective.r1", SECRET, 0).await;
    assert_eq!(status, 200);
    let t = launch_group(&app, half, "m1").await;
    ok(&app, &t[0], "accept_framework").await;
    ok(&app, &t[1], "accept_framework").await;
    ok(&app, &t[1], "mark_prepared").await;

    // The activity page of module 1: each group's status in words, time spent, gradebook.
    let (staff1, _) = app.staff_launch(Some("m1")).await;
    let page = app.page("/app", &staff1).await;
    let row = row_of(&page, &[name(&done[0]), name(&done[1])]);
    assert_eq!(row.status, "completed", "{}", row.html);
    let row = row.html;
    assert!(row.contains("<td class=\"status\">completed</td>"), "{row}");
    assert!(
        row.contains("<td class=\"spent\">")
            && (row.contains(" s</td>") || row.contains(" min</td>"))
            && !row.contains(">0 min<"),
        "time spent is shown, in seconds below a minute: {row}"
    );
    assert!(
        row.contains("data-grade="),
        "each member's gradebook: {row}"
    );
    let row = row_of(&page, &[name(&going[0]), name(&going[1])]).html;
    assert!(
        row.contains("in progress: round 1 of 2, step 3 of 5 (Analysis)"),
        "{row}"
    );
    let row = row_of(&page, &[name(&half[0]), name(&half[1])]).html;
    assert!(row.contains("1 of 2 prepared"), "{row}");
    assert!(
        row.contains("<td class=\"spent\"><span class=\"meta\">—</span>"),
        "no time before the introduction: {row}"
    );
    let idle_names: Vec<&str> = idle.iter().map(name).collect();
    let row = row_of(&page, &idle_names);
    assert_eq!(row.status, "not_started", "{}", row.html);
    let row = row.html;
    assert!(row.contains("not prepared"), "{row}");
    assert!(
        page.contains("id=\"dashboard-sync\""),
        "the roster's sync time"
    );
    assert!(page.contains("id=\"open-overview\""), "{page}");
    assert!(!page.contains(SECRET), "{page}");

    // The course overview, through the page's own link (no token in the URL).
    let r = app
        .post_form("/app/go", &staff1, &[("to", "overview")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("/app/overview?open="), "{location}");
    assert!(!location.contains(&staff1));
    let overview = app.follow(r).await;
    assert_eq!(overview.status().as_u16(), 200);
    let overview = overview.text().await.unwrap();
    assert!(!overview.contains(SECRET));
    // Modules in the order they were first launched.
    let (m1, m2) = (
        overview.find("<th scope=\"col\">Module m1</th>").unwrap(),
        overview.find("<th scope=\"col\">Module m2</th>").unwrap(),
    );
    assert!(m1 < m2);
    // Who met whom: the completed pair's row names the partner in both modules.
    let cells = cells_of(&overview, name(&done[0]));
    let partner2 = groups2
        .iter()
        .find(|g| g.contains(&done[0]))
        .unwrap()
        .iter()
        .find(|p| **p != done[0])
        .unwrap();
    assert!(
        cells[0].0 == "completed" && cells[0].1.contains(&format!("with {}", name(&done[1]))),
        "{cells:?}"
    );
    let partner2_name = names
        .get(partner2)
        .cloned()
        .unwrap_or_else(|| "name".into());
    assert!(
        cells[1].0 == "not_started" && cells[1].1.contains(&partner2_name),
        "{cells:?}"
    );
    // Who has not started module 1: the idle pair, not the others.
    let idle1 = idle_of(&overview, "m1");
    for p in idle {
        assert!(idle1.contains(name(p)), "{idle1}");
    }
    for p in done.iter().chain(going).chain(half) {
        assert!(!idle1.contains(name(p)), "{} has started: {idle1}", name(p));
    }
    // The chart: an image with its summary, readable figures in a table as well.
    assert!(
        overview.contains("<svg class=\"chart\"") && overview.contains("role=\"img\""),
        "{overview}"
    );
    let learners = overview.matches("<tr><th scope=\"row\">").count() - 2;
    let total = u32::try_from(learners).unwrap();
    assert_eq!(figure(&overview, "Module m1", "completed"), 2);
    assert_eq!(figure(&overview, "Module m1", "in_progress"), 4);
    assert_eq!(figure(&overview, "Module m1", "not_started"), total - 6);
    assert_eq!(figure(&overview, "Module m2", "completed"), 0);
    assert_eq!(figure(&overview, "Module m2", "not_started"), total);
    let summary = format!(
        "Module m1: 2 completed, 4 in progress, {} not started",
        total - 6
    );
    assert!(overview.contains(&summary), "the chart's title: {overview}");
    assert!(
        overview.contains(&format!(
            ">{}</text>",
            summary.trim_start_matches("Module m1: ")
        )),
        "the counts are written in the drawing, not only coloured"
    );

    // The export: status only, one row per learner and module, formulas neutralised.
    let r = export(&app, &staff).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        r.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"binome-progress.csv\""
    );
    let csv = r.text().await.unwrap();
    assert!(!csv.contains(SECRET), "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\"Name\",\"Email\",\"Module\",\"Group members\",\"Status\",\"Round and step\",\"Prepared\",\"Completed at\",\"Gradebook\""
    );
    assert_eq!(lines.len(), 1 + learners * 2, "{csv}");
    let line = |who: &String, module: &str| {
        lines
            .iter()
            .find(|l| {
                l.starts_with(&format!("\"{}\",", name(who)))
                    && l.contains(&format!(",\"{module}\","))
            })
            .unwrap_or_else(|| panic!("no line for {} in {module}: {csv}", name(who)))
            .to_string()
    };
    let l = line(&done[0], "Module m1");
    assert!(
        l.contains(&format!("\"{}; {}\"", name(&done[0]), name(&done[1])))
            || l.contains(&format!("\"{}; {}\"", name(&done[1]), name(&done[0]))),
        "{l}"
    );
    assert!(
        l.contains(",\"completed\",\"\",\"yes\",\"") && l.contains(" UTC\","),
        "{l}"
    );
    let l = line(&going[0], "Module m1");
    assert!(
        l.contains("\"in progress: round 1 of 2, step 3 of 5 (Analysis)\",\"round 1 of 2, step 3 (Analysis)\",\"yes\",\"\""),
        "{l}"
    );
    let (first, second) = (line(&half[0], "Module m1"), line(&half[1], "Module m1"));
    assert!(first.contains("\"1 of 2 prepared\",\"\",\"no\""), "{first}");
    assert!(
        second.contains("\"1 of 2 prepared\",\"\",\"yes\""),
        "{second}"
    );
    assert!(line(&idle[0], "Module m1").contains("\"Not started\",\"\",\"no\""));
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "a formula becomes text: {csv}"
    );
    assert!(!csv.contains(",\"=HYPERLINK"), "{csv}");
}

#[tokio::test]
async fn learners_mentors_and_another_course_see_none_of_it() {
    let app = spawn_app().await;
    let (staff, groups) = app.publish_pairs_in(Some("m1")).await;
    let pair = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    let t = launch_group(&app, &pair, "m1").await;
    ok(&app, &t[0], "accept_framework").await;

    // A learner: no overview, no export, and no link to them on their page.
    let r = app.get_with("/app/overview", &t[0]).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(export(&app, &t[0]).await.status().as_u16(), 403);
    assert!(!app.page("/app", &t[0]).await.contains("open-overview"));
    // A mentor looks, but the course's progress and its export are for staff who manage.
    let (status, body) = app
        .launch_with(|c| {
            c["sub"] = "3".into();
            c[ROLES_CLAIM] = json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]);
            c["https://purl.imsglobal.org/spec/lti/claim/resource_link"] =
                json!({"id": "m1", "title": "Module m1"});
        })
        .await;
    assert_eq!(status, 200);
    let mentor = crate::helpers::session_token(&body);
    assert_eq!(
        app.get_with("/app/overview", &mentor)
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(export(&app, &mentor).await.status().as_u16(), 403);
    // This course's staff see the pair.
    let first = app.platform.members()[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let names = names(&app);
    let here = app.page("/app/overview", &staff).await;
    assert!(here.contains(&names[&pair[0]]), "{here}");

    // The same teacher in another course of the platform sees that course only.
    let (status, body) = app
        .launch_with(|c| {
            c["sub"] = "3".into();
            c[ROLES_CLAIM] =
                json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]);
            c["https://purl.imsglobal.org/spec/lti/claim/context"] =
                json!({"id": "another-course", "title": "Another"});
            c["https://purl.imsglobal.org/spec/lti/claim/resource_link"] =
                json!({"id": "x1", "title": "Elsewhere"});
        })
        .await;
    assert_eq!(status, 200);
    let elsewhere = crate::helpers::session_token(&body);
    let there = app.page("/app/overview", &elsewhere).await;
    assert!(there.contains("Elsewhere"), "{there}");
    for absent in ["Module m1", first.as_str(), names[&pair[0]].as_str()] {
        assert!(!there.contains(absent), "{absent} in {there}");
    }
    let csv = export(&app, &elsewhere).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1, "a header and no row: {csv}");
    assert!(!csv.contains("Module m1"));
}

/// In progress at the third step of the first round.
static ANALYSIS: binome::coaching::StatusDetail = binome::coaching::StatusDetail::Step {
    round: 1,
    step: binome::coaching::Step::Analysis,
};

/// A course of 2,000 learners and 20 modules, pairs published in each: the overview and the
/// export count every learner once per module (the reads are one query per kind of thing,
/// never one per group; the times are printed, for the record, not asserted).
#[tokio::test]
async fn a_course_of_two_thousand_learners_and_twenty_modules_is_counted_whole() {
    use binome::store::{NewEvent, NewSession, SessionStatus};
    const LEARNERS: usize = 2000;
    const MODULES: usize = 20;
    let app = spawn_app().await;
    let mut members: Vec<serde_json::Value> = (0..LEARNERS)
        .map(|i| {
            json!({"user_id": format!("L{i}"), "name": format!("Learner {i:04}"),
                "email": format!("l{i}@example.org"), "roles": ["Learner"], "status": "Active"})
        })
        .collect();
    members.push(
        json!({"user_id": "3", "name": "Tina Teacher", "roles": ["Instructor"], "status": "Active"}),
    );
    app.platform.set_members(members);
    let mut staff = String::new();
    for m in 1..=MODULES {
        staff = app.staff_launch(Some(&format!("m{m:02}"))).await.0;
    }
    app.post_ok("/app/roster/refresh", &staff).await;
    let course = app.first_course().await;
    let now = binome::launch::now();
    let ids: Vec<String> = (0..LEARNERS).map(|i| format!("L{i}")).collect();
    let groups: Vec<Vec<PersonId>> = ids
        .chunks(2)
        .map(|g| g.iter().map(|m| PersonId::new(m.as_str())).collect())
        .collect();
    let plan = json!({"groups": groups.iter().map(|g| json!({"members": g})).collect::<Vec<_>>()})
        .to_string();
    for m in 1..=MODULES {
        let module = format!("m{m:02}");
        let tx = app.store.begin(course).await.unwrap();
        assert!(tx.create_draft(&module, &plan, "3", now).await.unwrap());
        assert!(tx.publish_draft(&module, "3", now).await.unwrap());
        tx.commit().await.unwrap();
    }
    // Module 1: 100 groups completed, 100 at round 1's analysis, the rest not started.
    for (i, g) in groups.iter().take(200).enumerate() {
        let key = binome::realtime::live::group_key(g);
        let s = app
            .store
            .open_session(
                course,
                NewSession {
                    activity: "m01",
                    module: "m01",
                    group_key: &key,
                    members: g,
                    ordinal: 0,
                    now,
                },
            )
            .await
            .unwrap();
        let (status, detail) = if i < 100 {
            (SessionStatus::Completed, None)
        } else {
            (SessionStatus::InProgress, Some(&ANALYSIS))
        };
        let tx = app.store.begin(course).await.unwrap();
        tx.append_event(NewEvent {
            session_id: s.summary.id,
            expected_last_seq: 0,
            actor: &g[0],
            payload: r#"{"at":0,"type":"started"}"#,
            snapshot: None,
            status,
            status_detail: detail,
            now,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    let started = std::time::Instant::now();
    let page = app.page("/app/overview", &staff).await;
    let page_time = started.elapsed();
    assert_eq!(figure(&page, "Module m01", "completed"), 200);
    assert_eq!(figure(&page, "Module m01", "in_progress"), 200);
    assert_eq!(figure(&page, "Module m01", "not_started"), 1600);
    assert_eq!(figure(&page, "Module m20", "not_started"), 2000);
    assert!(page.contains("1 / 20 (2000)"), "100 learners a page");
    assert!(
        page.contains("and 1900 more: the CSV export lists everyone."),
        "a long list of who has not started is cut"
    );
    let started = std::time::Instant::now();
    let csv = export(&app, &staff).await.text().await.unwrap();
    let csv_time = started.elapsed();
    assert_eq!(csv.lines().count(), 1 + LEARNERS * MODULES);
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains(",\"Module m01\",") && l.contains(",\"completed\","))
            .count(),
        200
    );
    eprintln!(
        "dashboard at {LEARNERS} learners × {MODULES} modules (debug build): overview {page_time:?} \
         ({} KiB), export {csv_time:?} ({} KiB)",
        page.len() / 1024,
        csv.len() / 1024
    );
}
