//! The geometry of the course overview's progress chart (server-rendered SVG): one row per
//! module with its title line, a bar split into completed, in progress and not started, and
//! its counts line, under a legend. Pure arithmetic in SVG user units; the template draws.

use serde::Serialize;

/// The drawing's width: 300 user units that scale down to a 320 px frame.
pub const CHART_WIDTH: usize = 300;
pub const BAR_HEIGHT: usize = 18;
/// Module title line, bar, counts line, gap.
pub const ROW_HEIGHT: usize = 62;
pub const LEGEND_HEIGHT: usize = 28;

/// Where a module's row is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bar {
    pub y_title: usize,
    pub y_bar: usize,
    pub y_counts: usize,
    pub w_done: usize,
    pub x_going: usize,
    pub w_going: usize,
    pub x_idle: usize,
    pub w_idle: usize,
}

/// The bar of the `i`-th module with `[done, going, idle]` learners: each part as wide as
/// its share of the learners, rounded down, the not-started part taking what remains so
/// the bar always spans the width.
pub fn bar(i: usize, [done, going, idle]: [usize; 3]) -> Bar {
    let total = (done + going + idle).max(1);
    let w = |n: usize| n * CHART_WIDTH / total;
    let (w_done, w_going) = (w(done), w(going));
    let y = LEGEND_HEIGHT + i * ROW_HEIGHT;
    Bar {
        y_title: y + 12,
        y_bar: y + 18,
        y_counts: y + 18 + BAR_HEIGHT + 14,
        w_done,
        x_going: w_done,
        w_going,
        x_idle: w_done + w_going,
        w_idle: CHART_WIDTH.saturating_sub(w_done + w_going),
    }
}

/// The drawing's height for `modules` rows (the legend alone still has room below it).
pub fn height(modules: usize) -> usize {
    (LEGEND_HEIGHT + modules * ROW_HEIGHT).max(LEGEND_HEIGHT + 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_spans_the_width_in_shares() {
        let check = |counts: [usize; 3], (w_done, w_going, w_idle): (usize, usize, usize)| {
            let b = bar(0, counts);
            assert_eq!(
                (b.w_done, b.w_going, b.w_idle),
                (w_done, w_going, w_idle),
                "{counts:?}"
            );
            assert_eq!(
                (b.x_going, b.x_idle),
                (w_done, w_done + w_going),
                "{counts:?}"
            );
            assert_eq!(b.w_done + b.w_going + b.w_idle, CHART_WIDTH, "{counts:?}");
        };
        check([1, 1, 1], (100, 100, 100));
        check([2, 1, 0], (200, 100, 0));
        check([0, 0, 3], (0, 0, 300));
        // Rounded down: the idle part takes the remainder.
        check([1, 1, 5], (42, 42, 216));
        // No learners: an empty bar, all "not started".
        check([0, 0, 0], (0, 0, 300));
    }

    #[test]
    fn rows_stack_under_the_legend() {
        let first = bar(0, [1, 0, 0]);
        let second = bar(1, [1, 0, 0]);
        assert_eq!((first.y_title, first.y_bar, first.y_counts), (40, 46, 78));
        assert_eq!(second.y_title - first.y_title, ROW_HEIGHT);
        assert_eq!(height(0), 38, "the legend alone");
        assert_eq!(height(2), 28 + 2 * 62);
    }
}
