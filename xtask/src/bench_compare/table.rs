//! The table: its rows, its text and Markdown renderings, and the units in its cells.

/// One line of the report: what, ours, theirs (or the reference), ratio, target.
pub(super) struct Row {
    pub(super) what: String,
    pub(super) ours: String,
    pub(super) theirs: String,
    pub(super) ratio: String,
    pub(super) target: String,
}

impl Row {
    pub(super) fn new(
        what: &str,
        ours: String,
        theirs: String,
        ratio: String,
        target: String,
    ) -> Row {
        Row {
            what: what.to_owned(),
            ours,
            theirs,
            ratio,
            target,
        }
    }
}

/// The report: facts about the run, then the table.
pub(super) struct Report {
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<Row>,
}

/// `x` in the first of `units` (divisor, decimals, suffix) it reaches, or in
/// the last.
fn scaled(x: f64, units: &[(f64, usize, &str)]) -> String {
    let (div, decimals, suffix) = units
        .iter()
        .find(|(div, _, _)| x >= *div)
        .or(units.last())
        .copied()
        .unwrap_or((1.0, 0, ""));
    format!("{:.*}{suffix}", decimals, x / div)
}

pub(super) fn us(ns: f64) -> String {
    scaled(ns, &[(1e6, 2, " ms"), (1e3, 2, " µs"), (1.0, 0, " ns")])
}

pub(super) fn per_s(rate: f64) -> String {
    scaled(rate, &[(1e6, 2, " M/s"), (1e3, 1, " k/s"), (1.0, 0, "/s")])
}

pub(super) fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

pub(super) fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

impl Report {
    const TITLES: [&'static str; 5] = [
        "benchmark",
        "ours",
        "official / reference",
        "ratio",
        "target",
    ];

    fn cells(r: &Row) -> [&str; 5] {
        [&r.what, &r.ours, &r.theirs, &r.ratio, &r.target]
    }

    pub(super) fn text(&self) -> String {
        let mut out = self.header.join("\n");
        out.push_str("\n\n");
        let mut widths = Self::TITLES.map(|t| t.chars().count());
        for r in &self.rows {
            for (w, cell) in widths.iter_mut().zip(Self::cells(r)) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 5]| {
            let mut s = String::new();
            for (cell, width) in cells.iter().zip(&widths) {
                s.push_str(cell);
                s.push_str(&" ".repeat(width - cell.chars().count() + 2));
            }
            s.trim_end().to_owned() + "\n"
        };
        out.push_str(&line(Self::TITLES));
        for r in &self.rows {
            out.push_str(&line(Self::cells(r)));
        }
        out
    }

    pub(super) fn markdown(&self) -> String {
        let mut out = String::new();
        for h in &self.header {
            out.push_str(&format!("- {h}\n"));
        }
        out.push_str("\n| benchmark | ours | official / reference | ratio | target |\n|---|---|---|---|---|\n");
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                r.what.replace('|', "\\|"),
                r.ours,
                r.theirs,
                r.ratio,
                r.target
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{per_s, us};

    #[test]
    fn units_scale_as_before() {
        assert_eq!(us(957.4), "957 ns");
        assert_eq!(us(1_290.0), "1.29 µs");
        assert_eq!(us(2_500_000.0), "2.50 ms");
        assert_eq!(per_s(19_300.0), "19.3 k/s");
        assert_eq!(per_s(1_040_000.0), "1.04 M/s");
        assert_eq!(per_s(946.0), "946/s");
        assert_eq!(us(f64::NAN), "NaN ns");
    }
}
