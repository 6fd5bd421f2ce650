//! The step's timer as the panel shows it: the time left in words (`+` in overtime) and the
//! figures the page's script counts down from on its own clock.

use serde::Serialize;

use crate::coaching::TimerView;
use crate::coaching::UnixMillis;

/// The timer on the panel.
#[derive(Debug, Clone, Serialize)]
pub struct Timer {
    /// "4:05", "+0:30" in overtime.
    pub text: String,
    /// When the step began (Unix ms).
    pub started: i64,
    /// The step's length with its extensions, in seconds.
    pub duration: i64,
    pub paused_since: Option<i64>,
    pub paused_total: i64,
    /// Seconds left at the server's now, negative in overtime.
    pub remaining: i64,
}

/// Minutes and seconds, `+` in overtime: what a page without its script shows.
pub fn clock_words(left: i64) -> String {
    format!(
        "{}{}:{:02}",
        if left < 0 { "+" } else { "" },
        left.abs() / 60,
        left.abs() % 60
    )
}

impl Timer {
    pub fn of(t: &TimerView, now: UnixMillis) -> Timer {
        let left = t.remaining_secs(now);
        Timer {
            text: clock_words(left),
            started: t.step_started_at.0,
            duration: t.duration_secs + t.extended_secs,
            paused_since: t.paused_since.map(|p| p.0),
            paused_total: t.paused_total_ms,
            remaining: left,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_counts_into_overtime() {
        let check = |left: i64, expected: &str| assert_eq!(clock_words(left), expected);
        check(245, "4:05");
        check(60, "1:00");
        check(0, "0:00");
        check(-30, "+0:30");
        check(-61, "+1:01");
    }
}
