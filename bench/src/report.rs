//! Figures as ratios: each benchmark group has a baseline, and the report divides every
//! other function's median by the baseline's, as criterion measured them in this run.
//!
//! Criterion writes each measurement to `<target>/criterion/<group>/<function>/<value>/new/`
//! (`benchmark.json` names it, `estimates.json` holds the statistics: the files `critcmp`
//! and `cargo-criterion` read). [`Report::print`] reads them back after the run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::Connection;
use serde::Deserialize;

/// Where criterion writes its measurements: `$CRITERION_HOME`, which [`criterion_home`]
/// sets to `<target>/criterion` when it is not set.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    // A bench runs as `<target>/<profile>/deps/<name>-<hash>`.
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    let home = exe
        .ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("criterion");
    // Before criterion starts, while the process has one thread.
    std::env::set_var("CRITERION_HOME", &home);
    home
}

/// One row of a report.
#[derive(Debug, Clone)]
enum Row {
    /// A group's functions at one input size, each against the baseline.
    Compare {
        group: String,
        value: String,
        baseline: String,
        subjects: Vec<String>,
        note: String,
    },
    /// One function of a group at a large input against the same at a small one.
    Scaling {
        group: String,
        function: String,
        small: String,
        large: String,
        note: String,
    },
}

/// The comparisons one benchmark binary made, printed as a Markdown table at its end.
///
/// ```
/// use link_bench::report::Report;
///
/// let mut report = Report::new("Graph queries");
/// report.compare("product.brand/sqlite", 10_000, "diesel join", &["graph (typed)"], "1 statement");
/// report.scaling("page/sqlite", "graph (JSON)", 1_000, 100_000, "target ≤ 2×");
/// // With no criterion output to read, it says so.
/// let empty = std::env::temp_dir().join("link-bench-report-example");
/// assert!(report.render(&empty).contains("Nothing was measured"));
/// ```
#[derive(Debug)]
pub struct Report {
    title: String,
    rows: Vec<Row>,
    started: SystemTime,
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

impl Report {
    /// An empty report.
    pub fn new(title: impl Into<String>) -> Self {
        Report {
            title: title.into(),
            rows: Vec::new(),
            started: SystemTime::now(),
        }
    }

    /// Records that, in criterion group `group` at input `value`, each of `subjects` is to
    /// be divided by `baseline`; `note` goes in the last column (e.g. statement counts).
    pub fn compare(
        &mut self,
        group: &str,
        value: impl ToString,
        baseline: &str,
        subjects: &[&str],
        note: impl Into<String>,
    ) {
        self.rows.push(Row::Compare {
            group: group.to_owned(),
            value: value.to_string(),
            baseline: baseline.to_owned(),
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
            note: note.into(),
        });
    }

    /// Records that `function` of `group` at input `large` is to be divided by the same at
    /// input `small`: how its cost grows with the data.
    pub fn scaling(
        &mut self,
        group: &str,
        function: &str,
        small: impl ToString,
        large: impl ToString,
        note: impl Into<String>,
    ) {
        self.rows.push(Row::Scaling {
            group: group.to_owned(),
            function: function.to_owned(),
            small: small.to_string(),
            large: large.to_string(),
            note: note.into(),
        });
    }

    /// The report as Markdown, from the medians criterion wrote under `home`. A function
    /// criterion did not run this time (filtered out) shows as `-`.
    pub fn render(&self, home: &Path) -> String {
        let medians = read_medians(home, self.started);
        if medians.is_empty() {
            return format!(
                "### {}\n\nNothing was measured in this run (criterion's `--test` mode, or \
                 a filter that matched nothing).\n",
                self.title
            );
        }
        let median = |group: &str, function: &str, value: &str| {
            medians
                .get(&(group.to_owned(), function.to_owned(), value.to_owned()))
                .copied()
        };
        let mut out = format!(
            "### {}\n\n| benchmark | size | baseline | library | ratio | notes |\n|---|---|---|---|---|---|\n",
            self.title
        );
        let ratio = |time: Option<f64>, base: Option<f64>| match (time, base) {
            (Some(t), Some(b)) if b > 0.0 => format!("**{:.2}×**", t / b),
            _ => "-".to_owned(),
        };
        for row in &self.rows {
            match row {
                Row::Compare {
                    group,
                    value,
                    baseline,
                    subjects,
                    note,
                } => {
                    let base = median(group, baseline, value);
                    for subject in subjects {
                        let time = median(group, subject, value);
                        let _ = writeln!(
                            out,
                            "| {group} | {value} | {baseline}: {} | {subject}: {} | {} | {note} |",
                            time_str(base),
                            time_str(time),
                            ratio(time, base),
                        );
                    }
                }
                Row::Scaling {
                    group,
                    function,
                    small,
                    large,
                    note,
                } => {
                    let base = median(group, function, small);
                    let time = median(group, function, large);
                    let _ = writeln!(
                        out,
                        "| {group} | {large} vs {small} | {function} at {small}: {} | at {large}: {} | {} | {note} |",
                        time_str(base),
                        time_str(time),
                        ratio(time, base),
                    );
                }
            }
        }
        out
    }

    /// Prints [`Report::render`] for the directory criterion wrote to.
    pub fn print(&self) {
        println!("\n{}", self.render(&criterion_home()));
    }
}

fn time_str(nanos: Option<f64>) -> String {
    match nanos {
        None => "-".to_owned(),
        Some(ns) if ns >= 1e9 => format!("{:.2} s", ns / 1e9),
        Some(ns) if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        Some(ns) if ns >= 1e3 => format!("{:.1} µs", ns / 1e3),
        Some(ns) => format!("{ns:.0} ns"),
    }
}

/// `(group, function, value) -> median in ns`, for every measurement under `home` written
/// `since` (earlier ones are other runs').
fn read_medians(home: &Path, since: SystemTime) -> HashMap<(String, String, String), f64> {
    let mut medians = HashMap::new();
    let mut stack = vec![home.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                // `base/` and `change/` are earlier runs and comparisons.
                if path
                    .file_name()
                    .is_some_and(|n| n != "base" && n != "change")
                {
                    stack.push(path);
                }
                continue;
            }
            if path.file_name().is_none_or(|n| n != "benchmark.json")
                || dir.file_name().is_none_or(|n| n != "new")
            {
                continue;
            }
            let written = entry.metadata().and_then(|m| m.modified());
            if written.map_or(true, |written| written < since) {
                continue;
            }
            let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
            let (Some(id), Some(estimates)) = (read("benchmark.json"), read("estimates.json"))
            else {
                continue;
            };
            let (Ok(id), Ok(estimates)) = (
                serde_json::from_str::<BenchmarkJson>(&id),
                serde_json::from_str::<Estimates>(&estimates),
            ) else {
                continue;
            };
            medians.insert(
                (
                    id.group_id,
                    id.function_id.unwrap_or_default(),
                    id.value_str.unwrap_or_default(),
                ),
                estimates.median.point_estimate,
            );
        }
    }
    medians
}

/// What `run` returns, and how many statements it made `conn` run (counted with diesel's
/// instrumentation, which this replaces and removes).
///
/// ```
/// use diesel::connection::SimpleConnection;
/// use diesel::{Connection, SqliteConnection};
///
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// let (result, statements) = link_bench::report::count_statements(&mut conn, |conn| {
///     conn.batch_execute("CREATE TABLE t (x INTEGER)")
/// });
/// result?;
/// assert_eq!(statements, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn count_statements<C: Connection, T>(
    conn: &mut C,
    run: impl FnOnce(&mut C) -> T,
) -> (T, usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let out = run(conn);
    conn.set_instrumentation(Option::<Box<dyn Instrumentation>>::None);
    (out, count.load(Ordering::Relaxed))
}
