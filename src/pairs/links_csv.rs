//! Hierarchical links uploaded by staff as CSV: parsing the lines against the roster, and
//! storing the good ones with their `pairing_events` row in one transaction.

use crate::store::{CourseId, LinkKind, LinkSource, PersonId, Store, StoreError};

use super::history::PairingChange;
use crate::course::people::{Person, people};

/// Why a line of a links CSV was not used. The wording is the web layer's (Fluent ids
/// `csv_not_two_values`, `csv_same_person`, `csv_not_in_roster`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvProblem {
    /// The line does not hold exactly two values.
    NotTwoValues,
    /// Both values name the same person.
    SamePerson,
    /// This value names nobody of the course roster (as written in the file).
    NotInRoster(String),
}

/// What a CSV of links gave: the (manager, report) user ids, and the bad lines by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLinks {
    pub good: Vec<(PersonId, PersonId)>,
    pub bad: Vec<(usize, CsvProblem)>,
}

/// Hierarchical links uploaded as CSV: `a,b` per line (emails or LMS user ids; the first is
/// the manager of the second), the values separated by a comma, a semicolon or a tab (the
/// first of them outside quotes on the line: spreadsheets in French locales save with
/// semicolons), quoted or not, with or without a UTF-8 byte order mark, with CRLF or LF line
/// ends; blank lines and lines starting with `#` are skipped. Returns the links found and the
/// bad lines with their line number and problem; good lines are kept even when others are
/// bad. A quoted value cannot span lines: no email or user id holds a line break.
pub fn parse_links_csv(text: &str, people: &[Person]) -> CsvLinks {
    let find = |v: &str| -> Option<PersonId> {
        people
            .iter()
            .find(|p| {
                p.user_id == v
                    || p.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(v))
            })
            .map(|p| p.user_id.clone())
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells = csv_values(line);
        let [a, b] = cells.as_slice() else {
            bad.push((n, CsvProblem::NotTwoValues));
            continue;
        };
        match (find(a), find(b)) {
            (Some(a), Some(b)) if a == b => bad.push((n, CsvProblem::SamePerson)),
            (Some(a), Some(b)) => good.push((a, b)),
            (None, _) => bad.push((n, CsvProblem::NotInRoster(a.clone()))),
            (_, None) => bad.push((n, CsvProblem::NotInRoster(b.clone()))),
        }
    }
    CsvLinks { good, bad }
}

/// The separator of a CSV line: the first comma, semicolon or tab outside double quotes (a
/// comma when there is none: the line holds one value).
fn separator(line: &str) -> u8 {
    let mut quoted = false;
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' | b';' | b'\t' if !quoted => return b,
            _ => {}
        }
    }
    b','
}

/// The values of one CSV line, unquoted and trimmed.
fn csv_values(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(line))
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|v| v.trim().to_string()).collect(),
        // A line of valid UTF-8 always reads; an unreadable one is no pair of values.
        Ok(false) | Err(_) => Vec::new(),
    }
}

/// Parses a links CSV against the course's people and stores its good lines as uploaded
/// `manages` links, with the upload's event, in one transaction.
pub async fn upload_links(
    store: &Store,
    course: CourseId,
    actor: &str,
    csv: &str,
    now: i64,
) -> Result<CsvLinks, StoreError> {
    let (people, _) = people(store, course).await?;
    let links = parse_links_csv(csv, &people);
    let tx = store.begin(course).await?;
    for (a, b) in &links.good {
        tx.add_link(a, b, LinkKind::Manages, LinkSource::Uploaded, actor, now)
            .await?;
    }
    let change = PairingChange::UploadLinks {
        added: links.good.len(),
        unused: links.bad.len(),
    };
    tx.log_event(None, actor, change.action(), &change.detail(), now)
        .await?;
    tx.commit().await?;
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemberStatus;

    fn person(id: &str, email: &str) -> Person {
        Person {
            user_id: id.into(),
            name: None,
            email: Some(email.into()),
            picture: None,
            status: MemberStatus::Active,
            learner: true,
            staff: false,
            launched_at: None,
            tags: vec![],
        }
    }

    #[test]
    fn csv_keeps_good_lines_and_reports_bad_ones_with_their_number() {
        let people = [
            person("4", "ada@example.com"),
            person("5", "brian@example.com"),
            person("6", "chloe@example.com"),
        ];
        let CsvLinks { good, bad } = parse_links_csv(
            "ada@example.com,brian@example.com\n\nnope@example.com,6\n6;4\nonly-one\n5,5\n",
            &people,
        );
        assert_eq!(
            good,
            vec![
                (PersonId::new("4"), PersonId::new("5")),
                (PersonId::new("6"), PersonId::new("4"))
            ]
        );
        assert_eq!(
            bad,
            vec![
                (3, CsvProblem::NotInRoster("nope@example.com".into())),
                (5, CsvProblem::NotTwoValues),
                (6, CsvProblem::SamePerson),
            ]
        );
    }

    fn people() -> [Person; 3] {
        [
            person("4", "ada@example.com"),
            person("5", "brian@example.com"),
            person("6", "chloe@example.com"),
        ]
    }

    /// The links found in `text`, and the numbers of its bad lines.
    fn check(text: &str, good: &[(&str, &str)], bad: &[usize]) {
        let links = parse_links_csv(text, &people());
        let found: Vec<(&str, &str)> = links
            .good
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(found, good, "{text:?}");
        let lines: Vec<usize> = links.bad.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, bad, "{text:?}");
    }

    #[test]
    fn quoted_values_may_hold_the_separator_and_quotes() {
        check(
            "\"ada@example.com\",\"brian@example.com\"\n",
            &[("4", "5")],
            &[],
        );
        check("\" ada@example.com \" , 5\n", &[("4", "5")], &[]);
        // The comma inside quotes is no separator: one value, not two.
        check("\"ada@example.com,brian@example.com\"\n", &[], &[1]);
        // Quoted with a semicolon separator (a spreadsheet in a French locale).
        check("\"6\";\"4\"\n", &[("6", "4")], &[]);
        // A doubled quote is a quote in the value: nobody is called that.
        let links = parse_links_csv("\"a\"\"b\",4\n", &people());
        assert_eq!(links.bad, vec![(1, CsvProblem::NotInRoster("a\"b".into()))]);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_value() {
        check(
            "\u{feff}ada@example.com,brian@example.com\n6,4\n",
            &[("4", "5"), ("6", "4")],
            &[],
        );
        check("\u{feff}\"4\",\"5\"", &[("4", "5")], &[]);
    }

    #[test]
    fn crlf_line_ends_count_lines_as_lf_does() {
        check(
            "ada@example.com,brian@example.com\r\n\r\nonly-one\r\n6\t4\r\n",
            &[("4", "5"), ("6", "4")],
            &[3],
        );
        check("# manager,report\r\n4,5", &[("4", "5")], &[]);
    }

    #[test]
    fn the_separator_is_the_first_outside_quotes() {
        assert_eq!(separator("a,b"), b',');
        assert_eq!(separator("a;b,c"), b';');
        assert_eq!(separator("a\tb"), b'\t');
        assert_eq!(separator("\"a;b\",c"), b',');
        assert_eq!(separator("alone"), b',');
    }
}
