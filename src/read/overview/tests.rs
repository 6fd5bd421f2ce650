//! The overview of a fixed course: who is where, and snapshots of the page's values and the
//! export's rows.

use super::fixture::course;
use super::*;

#[test]
fn modules_come_in_their_configured_order_and_staff_are_not_counted() {
    let o = course();
    assert_eq!(
        o.modules.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["m-conflicts", "m-intro"]
    );
    assert_eq!(o.learners.len(), 5);
    assert_eq!(o.counts("m-conflicts"), [2, 3, 0]);
    assert_eq!(o.counts("m-intro"), [0, 0, 5]);
    let cell = o.cell(&"p-dan".into(), "m-conflicts");
    assert_eq!(cell.seat, Some(1));
    assert_eq!(cell.progress, Stage::InProgress);
}

#[test]
fn the_overview_page_and_its_chart() {
    let page = OverviewPage::of(&course(), 0, Locale::En);
    assert_eq!(page.pages, 1);
    assert_eq!(
        page.chart[0].bar.w_done + page.chart[0].bar.w_going,
        chart::CHART_WIDTH
    );
    assert_eq!(page.idle[1].count, 5);
    insta::assert_json_snapshot!("overview_en", page);
}

#[test]
fn a_page_past_the_last_is_the_last() {
    assert_eq!(OverviewPage::of(&course(), 9, Locale::En).page, 0);
}

#[test]
fn the_export_rows_name_status_only() {
    let rows = export_rows(&course(), Reader::Other, Locale::En);
    assert_eq!(
        rows.len(),
        1 + 5 * 2,
        "a header, then a row per learner and module"
    );
    insta::assert_json_snapshot!("export_en", rows);
}
