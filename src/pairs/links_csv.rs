//! Hierarchical links uploaded by staff as CSV: parsing the lines against the roster, and
//! storing the good ones with their `pairing_events` row in one transaction.

use crate::store::{CourseId, LinkKind, LinkSource, Store, StoreError};

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
    pub good: Vec<(String, String)>,
    pub bad: Vec<(usize, CsvProblem)>,
}

/// Hierarchical links uploaded as CSV: `a,b` per line (emails or LMS user ids; the first is
/// the manager of the second). Returns the links found and the bad lines with their line
/// number and problem; good lines are kept even when others are bad.
pub fn parse_links_csv(text: &str, people: &[Person]) -> CsvLinks {
    let find = |v: &str| -> Option<String> {
        let v = v.trim().trim_matches('"').trim();
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
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split([',', ';', '\t']).collect();
        if cells.len() != 2 {
            bad.push((n, CsvProblem::NotTwoValues));
            continue;
        }
        match (find(cells[0]), find(cells[1])) {
            (Some(a), Some(b)) if a == b => bad.push((n, CsvProblem::SamePerson)),
            (Some(a), Some(b)) => good.push((a, b)),
            (None, _) => bad.push((n, CsvProblem::NotInRoster(cells[0].trim().to_string()))),
            (_, None) => bad.push((n, CsvProblem::NotInRoster(cells[1].trim().to_string()))),
        }
    }
    CsvLinks { good, bad }
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
                ("4".to_string(), "5".to_string()),
                ("6".to_string(), "4".to_string())
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
}
