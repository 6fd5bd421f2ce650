//! A field of the session as the panel shows it: its label, its text (as typed, or as a
//! table once written), a moment's instant and words, its version for the save, and whether
//! this reader may edit it. Wording only: who may read or write is decided by the caller.

use std::collections::HashMap;

use serde::Serialize;

use crate::coaching::{self, FieldKey, FieldRef, Step, prompts};
use crate::i18n::Locale;
use crate::realtime::live::field_id;
use crate::store::FieldRow;

/// A field on the panel.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Its id on the wire and in the fields table (`<key>.s<seat>`, `<key>.r<round>`, ...).
    pub id: String,
    /// The id with its dots made dashes, for the page's element ids.
    pub dom_id: String,
    pub label: String,
    /// `text`, `link`, `moment` or `list`: which input the page offers.
    pub kind: &'static str,
    /// The stored text as the input shows it (a list as one entry per line).
    pub text: String,
    /// A written list, read only, as a table.
    pub table: Option<Table>,
    pub moment: Option<MomentView>,
    /// A meeting time noted as free text before dates were asked for, shown as typed.
    pub earlier: Option<String>,
    /// The version the page sends back with a save (0 before the first).
    pub version: i64,
    pub editable: bool,
    pub hint: Option<String>,
    /// Who wrote it, when that is another member.
    pub author: Option<String>,
    pub max: usize,
    /// The height of its text area.
    pub rows: u8,
}

/// A list field's entries: the column headings and each entry's cells.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A moment as a page shows it: the instant for `<time datetime>` and for the date-and-time
/// input (UTC; the page's script shows both in the reader's own time zone), and the words
/// a page without its script shows, in UTC, with the zone it was set in.
#[derive(Debug, Clone, Serialize)]
pub struct MomentView {
    pub utc: String,
    pub input: String,
    pub words: String,
    pub zone: Option<String>,
}

impl MomentView {
    pub fn of(m: &coaching::meeting::Moment, l: Locale) -> MomentView {
        MomentView {
            utc: m.utc(),
            input: m.input_value(),
            words: l.format_time(m.at.unix_timestamp()),
            zone: m.zone.clone(),
        }
    }
}

pub(super) fn step_name(step: Step, l: Locale) -> String {
    l.t(step.name_id())
}

/// A date as the reader's language writes it: "15 Jan 2027", "15 janv. 2027".
pub fn date_words(d: time::Date, l: Locale) -> String {
    let month = l.tr("month_short", &[("month", u8::from(d.month()).into())]);
    l.tr(
        "live_date",
        &[
            ("day", d.day().to_string().into()),
            ("month", month.into()),
            ("year", d.year().to_string().into()),
        ],
    )
}

/// A list field's entries as a table, a date written in the reader's language. None for a
/// text field, or a list that does not parse (shown as typed then).
pub fn list_table(key: FieldKey, stored: &str, l: Locale) -> Option<Table> {
    use coaching::fields::{Action, FieldFormat, Obstacle, OptionItem};
    let parse = |t: &str| -> Option<Vec<Vec<String>>> {
        Some(match key.format() {
            FieldFormat::Options => serde_json::from_str::<Vec<OptionItem>>(t)
                .ok()?
                .into_iter()
                .map(|o| vec![o.option, o.pros, o.cons])
                .collect(),
            FieldFormat::Actions => serde_json::from_str::<Vec<Action>>(t)
                .ok()?
                .into_iter()
                .map(|a| {
                    let due = a.due.map(|d| {
                        coaching::fields::parse_date(&d).map_or(d, |date| date_words(date, l))
                    });
                    vec![a.action, due.unwrap_or_default()]
                })
                .collect(),
            FieldFormat::Obstacles => serde_json::from_str::<Vec<Obstacle>>(t)
                .ok()?
                .into_iter()
                .map(|o| vec![o.obstacle, o.overcome])
                .collect(),
            FieldFormat::Text | FieldFormat::Moment => return None,
        })
    };
    let rows = parse(stored)?;
    if rows.is_empty() {
        return None;
    }
    let head: &[&str] = match key.format() {
        FieldFormat::Options => &["coach_item_option", "coach_item_pros", "coach_item_cons"],
        FieldFormat::Actions => &["coach_item_action", "coach_item_due"],
        _ => &["coach_item_obstacle", "coach_item_overcome"],
    };
    Some(Table {
        head: head.iter().map(|id| l.t(id)).collect(),
        rows,
    })
}

/// A field as a page shows it, from the stored texts the reader may read.
pub fn field_view(
    f: FieldRef,
    rows: &HashMap<String, FieldRow>,
    writable: bool,
    author: Option<&str>,
    l: Locale,
) -> Field {
    use coaching::fields::FieldFormat;
    let id = field_id(&f);
    let row = rows.get(&id);
    let stored = row.map(|r| r.text.as_str()).unwrap_or_default();
    let text = coaching::list_to_lines(f.key(), stored);
    let hint = match f.key().format() {
        FieldFormat::Options => Some(l.t("live_lines_options")),
        FieldFormat::Actions => Some(l.t("live_lines_actions")),
        FieldFormat::Obstacles => Some(l.t("live_lines_obstacles")),
        FieldFormat::Text if f.key() == FieldKey::MeetingLink => {
            Some(l.t("live_meeting_link_hint"))
        }
        FieldFormat::Text => None,
        FieldFormat::Moment => Some(l.t("live_meeting_date_hint")),
    };
    let kind = match f.key().format() {
        FieldFormat::Moment => "moment",
        FieldFormat::Text if f.key() == FieldKey::MeetingLink => "link",
        FieldFormat::Text => "text",
        _ => "list",
    };
    // A moment, or the text a group noted before dates were asked for, shown as typed.
    let moment = coaching::meeting::Moment::parse(stored);
    let earlier =
        (f.key().format() == FieldFormat::Moment && moment.is_none() && !stored.trim().is_empty())
            .then(|| stored.to_string());
    Field {
        dom_id: id.replace('.', "-"),
        label: l.t(prompts::field_label(f.key())),
        kind,
        text,
        table: if writable {
            None
        } else {
            list_table(f.key(), stored, l)
        },
        moment: moment.as_ref().map(|m| MomentView::of(m, l)),
        earlier,
        version: row.map_or(0, |r| r.version),
        editable: writable,
        hint,
        author: author.map(str::to_string),
        max: f.key().max_chars(),
        rows: if f.key().scope() == coaching::fields::Scope::Group {
            1
        } else {
            4
        },
        id,
    }
}

/// The fields of a round written at `step` (by any role), plus the private ones of the
/// reader's own role, in screen order.
pub fn round_fields(round: u8, step: Option<Step>) -> Vec<FieldRef> {
    FieldKey::ALL
        .into_iter()
        .filter(|k| {
            k.round_writer()
                .is_some_and(|(_, s)| step.is_none_or(|st| s == st))
        })
        .filter_map(|k| FieldRef::round(k, round).ok())
        .collect()
}

/// The notes a round's coach or observer keeps for themself while the coachee speaks.
pub(super) fn is_private_note(key: FieldKey) -> bool {
    matches!(key, FieldKey::CoachScratchpad | FieldKey::ObserverNotes)
}
