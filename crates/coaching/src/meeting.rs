//! The group's meeting: when ([`Moment`], an instant with the time zone of the person who
//! set it), where (a web link, [`is_meeting_link`]), and its entry in a calendar ([`ics`],
//! RFC 5545).
//!
//! A moment is stored as RFC 9557 text: an RFC 3339 instant in UTC followed by the IANA
//! name of the zone it was set in, `2027-01-15T13:00:00Z[Europe/Paris]`. The instant is
//! what counts (each reader's browser shows it in their own zone); the zone says how the
//! person who set it saw it. The domain has no time-zone database: browsers have one.

use time::{OffsetDateTime, PrimitiveDateTime, Time};

/// When the group meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// The instant, in UTC.
    pub at: OffsetDateTime,
    /// The IANA time zone of the browser that set it (`Europe/Paris`), when it said one.
    pub zone: Option<String>,
}

impl Moment {
    /// Reads a moment: `2027-01-15T13:00:00Z[Europe/Paris]` (seconds and zone optional), or
    /// `2027-01-15T13:00` as a page without its script posts its date-and-time input, read
    /// as UTC. Anything else (a free text written before dates were asked for) is `None`.
    pub fn parse(text: &str) -> Option<Moment> {
        let t = text.trim();
        let (instant, zone) = match t.split_once('[') {
            Some((instant, rest)) => {
                let zone = rest.strip_suffix(']')?;
                if !is_zone_name(zone) {
                    return None;
                }
                (instant, Some(zone.to_string()))
            }
            None => (t, None),
        };
        let local = instant.strip_suffix('Z');
        // A zone names how the instant was seen, never what it is in: without the `Z` the
        // time would be local to a zone this side cannot convert.
        if zone.is_some() && local.is_none() {
            return None;
        }
        let (date, clock) = local.unwrap_or(instant).split_once('T')?;
        let date = super::fields::parse_date(date)?;
        let time = parse_clock(clock)?;
        if date.year() < 1970 {
            return None;
        }
        Some(Moment {
            at: PrimitiveDateTime::new(date, time).assume_utc(),
            zone,
        })
    }

    /// The stored text: `2027-01-15T13:00:00Z[Europe/Paris]`.
    pub fn stored(&self) -> String {
        match &self.zone {
            Some(z) => format!("{}[{z}]", self.utc()),
            None => self.utc(),
        }
    }

    /// The instant as RFC 3339 in UTC: `2027-01-15T13:00:00Z` (an HTML `<time>`'s datetime).
    pub fn utc(&self) -> String {
        utc_stamp(self.at, "-", ":")
    }

    /// The instant as a date-and-time input's value, in UTC: `2027-01-15T13:00` (the page's
    /// script shows it in the reader's zone).
    pub fn input_value(&self) -> String {
        self.utc()[..16].to_string()
    }

    /// The instant as an RFC 5545 UTC date-time: `20270115T130000Z`.
    fn ics_utc(at: OffsetDateTime) -> String {
        utc_stamp(at, "", "")
    }
}

/// `HH:MM` or `HH:MM:SS`.
fn parse_clock(text: &str) -> Option<Time> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<u8>().ok());
    Time::from_hms(n(0)?, n(1)?, n(2)?).ok()
}

/// An IANA time zone name as browsers give it (`Europe/Paris`, `America/Argentina/Salta`,
/// `Etc/GMT+1`, `UTC`): letters, digits, `_`, `-`, `+` and `/` between non-empty parts.
fn is_zone_name(z: &str) -> bool {
    (1..=64).contains(&z.len())
        && z.split('/').all(|p| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
        })
}

/// Whether `text` is a link a page may show as a link to the group's meeting: `http://` or
/// `https://`, a host, no spaces, no user name before the host (which could make a link
/// read as another site's), none of the characters that could break out of an attribute.
pub fn is_meeting_link(text: &str) -> bool {
    let t = text.trim();
    let lower = t.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &t[8..]
    } else if lower.starts_with("http://") {
        &t[7..]
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !authority.is_empty()
        && !authority.contains('@')
        && rest
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>\"'`\\{}|^".contains(c))
}

/// A calendar entry for the group's meeting. It holds nothing of what the group wrote and
/// no one's name: the activity's title, the time, how long, and the meeting link.
#[derive(Debug, Clone)]
pub struct CalendarEntry<'a> {
    /// Stable for one group's session, so importing it again updates the same event.
    pub uid: &'a str,
    /// Grows each time the meeting is moved (the date field's version).
    pub sequence: i64,
    /// When the file is made.
    pub stamp: OffsetDateTime,
    pub start: &'a Moment,
    /// The session's planned length.
    pub minutes: u32,
    /// The activity's title.
    pub summary: &'a str,
    /// The meeting link, when the group noted one (a checked `http(s)` link).
    pub link: Option<&'a str>,
}

/// The entry as an iCalendar file (RFC 5545): one VEVENT with UID, SEQUENCE, DTSTAMP,
/// DTSTART in UTC, DURATION, SUMMARY, and the link as URL and DESCRIPTION. Lines end in
/// CRLF and are folded at 75 octets (§3.1), never inside a UTF-8 character; texts are
/// escaped (§3.3.11).
pub fn ics(e: &CalendarEntry<'_>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Binome//Peer coaching//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{}", escape_text(e.uid)),
        format!("SEQUENCE:{}", e.sequence.max(0)),
        format!("DTSTAMP:{}", Moment::ics_utc(e.stamp)),
        format!("DTSTART:{}", Moment::ics_utc(e.start.at)),
        format!("DURATION:PT{}M", e.minutes),
        format!("SUMMARY:{}", escape_text(e.summary)),
    ];
    if let Some(link) = e.link.filter(|l| is_meeting_link(l)) {
        let link = link.trim();
        lines.push(format!("URL:{link}"));
        lines.push(format!("DESCRIPTION:{}", escape_text(link)));
    }
    lines.extend(["END:VEVENT".to_string(), "END:VCALENDAR".to_string()]);
    lines.iter().map(|l| fold(l)).collect()
}

/// A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma, newline.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line folded (RFC 5545 §3.1): at most 75 octets a line, continued after
/// CRLF and a space, cut between characters; ends with CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// `at` (taken to be UTC) as `YYYY<d>MM<d>DDThh<t>mm<t>ssZ`: RFC 3339 with `-` and `:`,
/// RFC 5545 with no separators at all.
fn utc_stamp(at: OffsetDateTime, date_sep: &str, time_sep: &str) -> String {
    let (d, t) = (at.date(), at.time());
    format!(
        "{:04}{date_sep}{:02}{date_sep}{:02}T{:02}{time_sep}{:02}{time_sep}{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_their_stored_form_and_a_plain_input() {
        let check = |text: &str, expected: Option<&str>| {
            assert_eq!(
                Moment::parse(text).map(|m| m.stored()).as_deref(),
                expected,
                "{text:?}"
            );
        };
        check(
            "2027-01-15T13:00:00Z[Europe/Paris]",
            Some("2027-01-15T13:00:00Z[Europe/Paris]"),
        );
        check(
            " 2027-01-15T13:00Z[America/Argentina/Salta] ",
            Some("2027-01-15T13:00:00Z[America/Argentina/Salta]"),
        );
        check("2027-01-15T13:00Z", Some("2027-01-15T13:00:00Z"));
        check("2027-01-15T13:00", Some("2027-01-15T13:00:00Z"));
        check("Thursday 14:00", None);
        check("2027-02-30T13:00Z", None);
        check("2027-01-15T25:00Z", None);
        check("2027-01-15T13:00Z[Europe/../Paris]", None);
        check("2027-01-15T13:00Z[Europe Paris]", None);
        check("2027-01-15T13:00Z[]", None);
        check("2027-01-15T13:00Z[Europe/Paris", None);
        check("2027-01-15 13:00", None);
        check("2027-01-15T13:00[Europe/Paris]", None);
        check("", None);
        let m = Moment::parse("2027-01-15T13:05:09Z[UTC]").unwrap();
        assert_eq!(m.utc(), "2027-01-15T13:05:09Z");
        assert_eq!(m.input_value(), "2027-01-15T13:05");
    }

    #[test]
    fn meeting_links_are_http_or_https_to_a_host() {
        for ok in [
            "https://meet.example/pair",
            "http://meet.example",
            "HTTPS://Meet.Example/a?b=c#d",
            " https://visio.example.org/room-42 ",
        ] {
            assert!(is_meeting_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "ftp://files.example",
            "https://",
            "https:///path",
            "https://meet.example/a b",
            "https://good.example@evil.example/",
            "https://meet.example/\"onmouseover=x",
            "meet.example",
            "data:text/html,hi",
        ] {
            assert!(!is_meeting_link(bad), "{bad}");
        }
    }

    #[test]
    fn the_calendar_file_is_folded_escaped_and_holds_the_meeting_only() {
        let start = Moment::parse("2027-01-15T13:00:00Z[Europe/Paris]").unwrap();
        let link = format!("https://meet.example/{}", "r".repeat(80));
        let stamp = Moment::parse("2027-01-10T08:30:00Z").unwrap().at;
        let summary =
            "Coaching, module 2; «échanges» \\ and more words to make this line long enough";
        let text = ics(&CalendarEntry {
            uid: "abc123@binome.example",
            sequence: 3,
            stamp,
            start: &start,
            minutes: 85,
            summary,
            link: Some(&link),
        });
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
        assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        // Unfolded (§3.1), the lines are whole again.
        let unfolded = text.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        for expected in [
            "BEGIN:VEVENT",
            "UID:abc123@binome.example",
            "SEQUENCE:3",
            "DTSTAMP:20270110T083000Z",
            "DTSTART:20270115T130000Z",
            "DURATION:PT85M",
            "SUMMARY:Coaching\\, module 2\\; «échanges» \\\\ and more words to make this line long enough",
            &format!("URL:{link}"),
            &format!("DESCRIPTION:{link}"),
        ] {
            assert!(lines.contains(&expected), "{expected:?} in {unfolded}");
        }
        // A fold never cuts a character in two.
        assert!(std::str::from_utf8(text.as_bytes()).is_ok());
        let long = "é".repeat(100);
        for line in fold(&format!("SUMMARY:{long}")).split("\r\n") {
            assert!(line.len() <= 75);
        }
        // Without a link: no URL, no description.
        let text = ics(&CalendarEntry {
            link: None,
            summary: "Peer coaching",
            uid: "u",
            sequence: 1,
            stamp,
            start: &start,
            minutes: 60,
        });
        assert!(
            !text.contains("URL:") && !text.contains("DESCRIPTION:"),
            "{text}"
        );
    }
}
