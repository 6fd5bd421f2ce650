//! The pages once a module runs. The staff page is laid out for set-up until the pairs are
//! published, then for follow-up: the sessions' progress first, within the LMS frame's first
//! screen, the set-up folded away; one primary button per section; the two people of a swap
//! never preset to the same person; moments in the reader's own time zone. The learner page
//! shows field-context tags by their label, closes the tag form once the pairs are published,
//! and folds the method away.

use serde_json::json;

use crate::browser::{Browser, Cookies, course_url};
use crate::browser_live::{ONE_AT_A_TIME, Seat, axe_check, axe_source, click, wait_js};
use crate::helpers::{TestApp, spawn_app};

/// The opening tag of the element with this id.
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

/// The value of the option a `<select>` shows first (the one marked selected).
fn preset(html: &str, select_id: &str) -> String {
    let at = html
        .find(&format!("<select id=\"{select_id}\""))
        .unwrap_or_else(|| panic!("no select {select_id}"));
    let select = &html[at..at + html[at..].find("</select>").unwrap()];
    let chosen = select
        .split("<option value=\"")
        .skip(1)
        .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
        .unwrap_or_else(|| panic!("{select_id}: nothing preset"));
    chosen[..chosen.find('"').unwrap()].to_string()
}

/// Every `<section>` of a page, with at most one primary button each.
fn at_most_one_primary_per_section(html: &str) {
    for section in html.split("<section").skip(1) {
        let section = &section[..section.find("</section>").unwrap_or(section.len())];
        let primaries = section.matches("class=\"primary\"").count();
        assert!(primaries <= 1, "{primaries} primary buttons in {section}");
    }
}

/// The staff token after a roster read and a proposal (a draft, nothing published).
async fn proposed(app: &TestApp) -> String {
    let (t, _) = app.staff_launch(None).await;
    for path in ["/app/roster/refresh", "/app/pairs/propose"] {
        assert_eq!(app.post_form(path, &t, &[]).await.status().as_u16(), 303);
    }
    t
}

#[tokio::test]
async fn once_pairs_are_published_the_staff_page_leads_with_progress() {
    let app = spawn_app().await;
    let t = proposed(&app).await;
    // Set-up: the roster and the pairs come first, nothing is folded.
    let page = app.page("/app", &t).await;
    assert!(!page.contains("<details class=\"setup\""), "{page}");
    assert!(page.find("id=\"roster\"") < page.find("id=\"sessions\""));
    // Publish is the pairs' primary action; swapping and excluding are secondary.
    assert!(tag_with_id(&page, "publish").contains("class=\"primary\""));
    let swap = &page[page.find("value=\"swap\"").unwrap()..];
    let swap_button = &swap[swap.find("<button").unwrap()..];
    let swap_button = &swap_button[..swap_button.find('>').unwrap()];
    assert!(!swap_button.contains("primary"), "{swap_button}");
    at_most_one_primary_per_section(&page);
    // The two people of a swap (or of an exclusion) are not preset to the same person.
    for kind in ["swap", "exclude"] {
        let (a, b) = (
            preset(&page, &format!("{kind}-a")),
            preset(&page, &format!("{kind}-b")),
        );
        assert_ne!(a, b, "{kind}");
    }
    assert_eq!(page.matches("Last synchronised").count(), 1, "{page}");

    // Publishing: the outcome shows with the progress, which now leads the page.
    let r = app.post_form("/app/pairs/publish", &t, &[]).await;
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("at=sessions"), "{to}");
    let page = app.follow(r).await.text().await.unwrap();
    let sessions = page.find("id=\"sessions\"").unwrap();
    let setup = page
        .find("<details class=\"setup\" id=\"setup\">")
        .expect("the set-up is folded away");
    let roster = page.find("id=\"roster\"").unwrap();
    let pairs = page.find("id=\"pairs\"").unwrap();
    assert!(
        sessions < setup && setup < roster && setup < pairs,
        "{page}"
    );
    let notice = page.find("id=\"notice\"").unwrap();
    assert!(
        sessions < notice && notice < setup,
        "the outcome is shown with the progress"
    );
    assert!(page.contains("Pairs published"), "{page}");
    // Said once, and as a moment the page writes in the reader's time zone.
    assert_eq!(page.matches("Last synchronised").count(), 1, "{page}");
    let sync = tag_with_id(&page, "dashboard-sync");
    assert!(sync.starts_with("<p"), "{sync}");
    let time = &page[page
        .find("<span id=\"last-sync\"><time datetime=\"")
        .expect("a moment")..];
    let iso = &time[time.find("datetime=\"").unwrap() + 10..];
    let iso = &iso[..iso.find('"').unwrap()];
    assert!(
        iso.len() == 20 && iso.ends_with('Z') && iso.as_bytes()[10] == b'T',
        "{iso}"
    );
    at_most_one_primary_per_section(&page);

    // An action in the set-up opens it where the outcome is shown.
    let r = app.post_form("/app/pairs/propose", &t, &[]).await;
    let page = app.follow(r).await.text().await.unwrap();
    assert!(
        page.contains("<details class=\"setup\" id=\"setup\" open>"),
        "{page}"
    );
}

#[tokio::test]
async fn learners_read_tags_by_their_label_and_a_summary_once_pairs_are_published() {
    let app = spawn_app().await;
    let (t, _) = app.staff_launch(None).await;
    let r = app
        .post_form(
            "/app/settings",
            &t,
            &[
                (
                    "tags",
                    "sector: health\nsector: education\njob: trainer\nNight shifts",
                ),
                ("policy", "keep"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (lt, page) = app.learner_launch("4").await;
    assert!(page.contains("id=\"tags-form\""), "{page}");
    assert!(page.contains("<legend>sector</legend>"), "{page}");
    assert!(page.contains("<legend>job</legend>"), "{page}");
    for label in ["health", "education", "trainer", "Night shifts"] {
        assert!(
            page.contains(&format!("> {label}</label>")),
            "{label}: {page}"
        );
    }
    assert!(
        !page.contains("> sector: health</label>"),
        "never the tag as typed: {page}"
    );
    assert!(
        page.contains("value=\"sector: health\""),
        "the form still sends the tag"
    );
    // The method is there, folded.
    assert!(
        page.contains(
            "<details class=\"card method\" id=\"method\"><summary>How a session runs</summary>"
        ),
        "{page}"
    );
    let r = app
        .post_form(
            "/app/profile",
            &lt,
            &[
                ("action", "tags"),
                ("tag", "sector: health"),
                ("tag", "job: trainer"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);

    // Published: the form closes; the learner reads what they chose.
    app.publish_pairs().await;
    let page = app.page("/app", &lt).await;
    assert!(!page.contains("id=\"tags-form\""), "{page}");
    assert!(!page.contains("name=\"tag\""), "{page}");
    assert!(
        page.contains(
            "<dl class=\"figures\" id=\"my-tags\"><dt>sector</dt><dd>health</dd><dt>job</dt><dd>trainer</dd></dl>"
        ),
        "{page}"
    );
}

#[tokio::test]
async fn the_published_staff_page_shows_progress_in_the_first_screen_and_passes_axe() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let axe = axe_source();
    proposed(&app).await;
    // The teacher opens the course page: the platform launches them as an instructor.
    *app.platform.state.extra_claims.lock().unwrap() = json!({
        crate::helpers::ROLES_CLAIM:
            ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    });
    let Some(b) = Browser::start(Cookies::Default).await else {
        return;
    };
    let staff = Seat {
        b,
        who: "teacher".into(),
    };
    let course = format!("{}&user=3", course_url(&app, "127.0.0.1", None));
    staff.b.goto(&course).await;
    wait_js(
        &staff,
        "return document.getElementById('publish') ? true : null;",
        "the staff page with a proposal",
        |v| *v == json!(true),
    )
    .await;
    // Publish does not look like Swap.
    let looks = wait_js(
        &staff,
        "var p = document.getElementById('publish'); \
         var s = document.querySelector('form.pair-edit button[type=submit]'); \
         return p && s ? [getComputedStyle(p).backgroundColor, getComputedStyle(s).backgroundColor] : null;",
        "the publish and swap buttons",
        |v| v.is_array(),
    )
    .await;
    assert_ne!(looks[0], looks[1], "{looks}");
    axe_check(&staff, axe.as_deref(), "staff page laid out for set-up").await;

    click(&staff, "#publish").await;
    let top = wait_js(
        &staff,
        "var h = document.getElementById('sessions-title'); \
         return h && document.getElementById('setup') && document.readyState === 'complete' \
           ? Math.ceil(h.getBoundingClientRect().bottom + window.scrollY) : null;",
        "the staff page laid out for follow-up",
        |v| v.is_number(),
    )
    .await;
    let bottom = top.as_i64().unwrap();
    assert!(
        bottom <= 640,
        "the progress heading ends {bottom} px down the 640 px LMS frame"
    );
    // The roster's moment is written in the browser, not as UTC.
    let moment = wait_js(
        &staff,
        "var t = document.querySelector('#last-sync time'); \
         return t && t.title ? [t.textContent, t.title, \
           new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: 'medium', timeStyle: 'short' }) \
             .format(new Date(t.getAttribute('datetime')))] : null;",
        "the moment of the last roster read",
        |v| v.is_array(),
    )
    .await;
    assert_eq!(moment[0], moment[2], "{moment}");
    assert!(
        moment[1].as_str().unwrap().ends_with("UTC"),
        "the UTC wording stays as its title: {moment}"
    );
    axe_check(&staff, axe.as_deref(), "staff page laid out for follow-up").await;
    staff.b.to_top().await.unwrap();
    staff
        .b
        .screenshot(std::path::Path::new("/tmp/binome-follow-up.png"))
        .await;
}

#[tokio::test]
async fn a_links_upload_with_unused_lines_marks_its_field() {
    let app = spawn_app().await;
    let (t, _) = app.staff_launch(None).await;
    app.post_ok("/app/roster/refresh", &t).await;
    let r = app
        .post_form(
            "/app/links",
            &t,
            &[("csv", "nobody@example.org, ghost@example.org")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    let field = &page[page.find("<textarea name=\"csv\"").unwrap()..];
    let field = &field[..field.find('>').unwrap()];
    assert!(
        field.contains("aria-invalid=\"true\" aria-describedby=\"upload-bad\""),
        "{field}"
    );
    assert!(page.contains("<ul id=\"upload-bad\">"), "{page}");
    // The report is in the set-up section, which an upload opens.
    assert!(
        !page.contains("<details class=\"setup\""),
        "nothing published: not folded"
    );
}
