//! The compile-time cost of `define_link!`: a crate with 50 link files against the same crate
//! with the 50 pivot tables written by hand as diesel `table!`s. The target is at most 10%
//! added to the clean build.
//!
//! The benchmark generates two crates outside the workspace, under
//! `<target>/macro-cost/`, both depending on `link-runtime` (by path) and `diesel`, with the
//! same 20 modules of one `#[derive(Linkable)]` model each:
//!
//! - `links`: 50 files `src/links/link_NN.rs`, one `define_link!` each between a distinct
//!   pair of models (some `is_list`, some `delete_cascade`, a few with extra columns), and
//!   `link_runtime::links!()` in `src/lib.rs`, which also lists every `Link::TABLE` so that
//!   a link that did not expand fails the build;
//! - `tables`: 50 files `src/tables/table_NN.rs`, each the diesel `table!` of the same pivot
//!   table and a `#[derive(Queryable, Selectable)]` row struct, as a user without the macro
//!   would write them (without the SQL, the create/dismiss functions and the registration the
//!   macro also generates).
//!
//! Both crates build (`cargo build`, the dev profile, default `-j`) into one target dir of
//! their own, `<target>/macro-cost/target`, so the workspace's build cache is left alone and
//! their dependencies are compiled once. It measures, with the wall clock:
//!
//! 1. a clean build, dependencies included (the target dir deleted before each crate);
//! 2. a clean build of the crate only, its dependencies built (`cargo clean -p <crate>` first);
//! 3. an incremental rebuild after rewriting one file (`link_17.rs` or `table_17.rs`) with a
//!    changed comment;
//!
//! 2 and 3 are repeated `MACRO_COST_RUNS` times (3 by default) and their median printed, in a
//! Markdown table with the time added by the macro and the ratio.
//!
//! Run it with `cargo bench -p link-bench --bench macro_cost` (a few minutes: the clean
//! builds compile diesel, SQLite and the proc-macro stack twice). Cargo runs offline, from the
//! registry already downloaded for the workspace; `MACRO_COST_OFFLINE=0` lets it go online.
//! Under `cargo test --benches` (no `--bench` argument) it prints how to run it and exits.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How many models, each in a module of its own, the generated crates declare.
const MODELS: usize = 20;
/// How many links (or hand-written tables) the generated crates declare.
const LINKS: usize = 50;
/// The link (and table) whose file the incremental rebuild rewrites.
const TOUCHED: usize = 17;
/// Repetitions of the crate-only and incremental builds unless `MACRO_COST_RUNS` says.
const DEFAULT_RUNS: usize = 3;

fn main() {
    if !std::env::args().skip(1).any(|arg| arg == "--bench") {
        println!(
            "macro_cost: skipped (it builds two generated crates for minutes); run it with \
             `cargo bench -p link-bench --bench macro_cost`"
        );
        return;
    }
    let runs = runs();
    let load_before = load_average();
    let bench = Bench::new(scratch_dir());
    bench.generate();
    eprintln!(
        "macro_cost: crates generated in {}, built into {}",
        bench.root.display(),
        bench.target.display()
    );

    // 1. Clean builds, dependencies included; they also warm the shared target dir.
    let mut clean = Row::new("clean, dependencies included");
    for kind in Kind::BOTH {
        bench.delete_target();
        clean.push(
            kind,
            bench.build(kind, "clean build, dependencies included"),
        );
    }
    // The links crate was built last; build the tables crate once more on the same deps.
    bench.build(Kind::Tables, "warm-up build");

    // 2. The crate alone, its dependencies built.
    let mut crate_only = Row::new(&format!(
        "crate only, dependencies built (median of {runs})"
    ));
    for run in 1..=runs {
        for kind in Kind::BOTH {
            bench.cargo(kind, &["clean", "-p", kind.name()]);
            let what = format!("crate-only build {run}/{runs}");
            crate_only.push(kind, bench.build(kind, &what));
        }
    }

    // 3. One file rewritten, then an incremental build.
    let mut incremental = Row::new(&format!("incremental, one file touched (median of {runs})"));
    for run in 1..=runs {
        for kind in Kind::BOTH {
            bench.touch(kind, run);
            let what = format!("incremental build {run}/{runs}");
            incremental.push(kind, bench.build(kind, &what));
        }
    }

    print!("{}", bench.report(&[clean, crate_only, incremental]));
    if let (Some(before), Some(after)) = (load_before, load_average()) {
        // Other work on the machine skews wall-clock figures; this shows whether there was any.
        println!("- load average (1, 5, 15 min): {before} before, {after} after");
    }
}

/// The first three fields of `/proc/loadavg`, where there is one.
fn load_average() -> Option<String> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| fields.join(" "))
}

/// `MACRO_COST_RUNS`, or [`DEFAULT_RUNS`].
fn runs() -> usize {
    match std::env::var("MACRO_COST_RUNS") {
        Ok(value) => match value.trim().parse() {
            Ok(runs) if runs > 0 => runs,
            _ => panic!("MACRO_COST_RUNS must be a positive integer, not `{value}`"),
        },
        Err(_) => DEFAULT_RUNS,
    }
}

/// `<target>/macro-cost`, where `<target>` is the cargo target dir this bench runs from (it
/// runs as `<target>/release/deps/macro_cost-<hash>`), else `CARGO_TARGET_DIR`, else the
/// workspace's `target`.
fn scratch_dir() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        let deps = exe.ancestors().find(|dir| dir.ends_with("deps"))?;
        Some(deps.parent()?.parent()?.to_owned())
    });
    let target = from_exe
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("macro-cost")
}

/// One of the two generated crates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The pivot tables written by hand.
    Tables,
    /// The same links through `define_link!`.
    Links,
}

impl Kind {
    /// Both crates, in the order they are built.
    const BOTH: [Kind; 2] = [Kind::Tables, Kind::Links];

    /// The crate's package name, also its folder under the scratch dir.
    fn name(self) -> &'static str {
        match self {
            Kind::Tables => "tables",
            Kind::Links => "links",
        }
    }

    /// The folder of `src/` that differs between the two crates.
    fn folder(self) -> &'static str {
        match self {
            Kind::Tables => "src/tables",
            Kind::Links => "src/links",
        }
    }

    /// The path, from the crate's root, of the file of link `index`.
    fn file(self, index: usize) -> String {
        match self {
            Kind::Tables => format!("src/tables/table_{index:02}.rs"),
            Kind::Links => format!("src/links/link_{index:02}.rs"),
        }
    }
}

/// One link of the generated crates: two models and the options of its `define_link!`.
struct Link {
    /// Its index, the `NN` of its file name.
    index: usize,
    /// The left model's index.
    left: usize,
    /// The right model's index.
    right: usize,
    /// `is_list` on the left side.
    left_list: bool,
    /// `is_list` on the right side.
    right_list: bool,
    /// `delete_cascade` on the right side.
    cascade: bool,
    /// Extra columns `featured: bool = false, position: i32 = 0`.
    columns: bool,
}

impl Link {
    /// The [`LINKS`] links: distinct pairs of models (neighbours first, then models two
    /// apart, ...), every other one reversed, with options spread over them.
    fn all() -> Vec<Link> {
        let pairs = (1..MODELS)
            .flat_map(|distance| (0..MODELS - distance).map(move |a| (a, a + distance)))
            .take(LINKS);
        pairs
            .enumerate()
            .map(|(index, (a, b))| {
                let (left, right) = if index % 2 == 0 { (a, b) } else { (b, a) };
                Link {
                    index,
                    left,
                    right,
                    left_list: index % 3 == 0,
                    right_list: index % 4 == 1,
                    cascade: index % 5 == 2,
                    columns: index % 10 == 7,
                }
            })
            .collect()
    }

    /// The pivot table's name, as the macro names it:
    /// `{left_module}_{left_model}_{right_module}_{right_model}`.
    fn table(&self) -> String {
        format!(
            "m{l:02}_model{l:02}_m{r:02}_model{r:02}",
            l = self.left,
            r = self.right
        )
    }

    /// The `use` line that brings both models into scope.
    fn use_models(&self) -> String {
        format!(
            "use crate::models::{{m{l:02}::Model{l:02}, m{r:02}::Model{r:02}}};\n",
            l = self.left,
            r = self.right
        )
    }

    /// `src/links/link_NN.rs`; `revision` changes its first comment only.
    fn link_file(&self, revision: usize) -> String {
        let side = |model: usize, list: bool, cascade: bool| {
            let options: Vec<&str> = [(list, "is_list"), (cascade, "delete_cascade")]
                .into_iter()
                .filter_map(|(on, option)| on.then_some(option))
                .collect();
            if options.is_empty() {
                format!("Model{model:02}")
            } else {
                format!("Model{model:02}({})", options.join(", "))
            }
        };
        let left = side(self.left, self.left_list, false);
        let right = side(self.right, self.right_list, self.cascade);
        let link = if self.columns {
            format!(
                "define_link! {{\n    {left},\n    {right},\n    \
                 columns {{ featured: bool = false, position: i32 = 0 }},\n}}\n"
            )
        } else {
            format!("define_link!({left}, {right});\n")
        };
        format!(
            "// Link {index:02}, revision {revision}.\n\n{uses}use link_runtime::prelude::*;\n\n{link}",
            index = self.index,
            uses = self.use_models(),
        )
    }

    /// `src/tables/table_NN.rs`, the link's pivot table written by hand; `revision` changes
    /// its first comment only.
    fn table_file(&self, revision: usize) -> String {
        let table = self.table();
        let (l, r) = (self.left, self.right);
        let (columns, fields) = if self.columns {
            (
                "        featured -> Bool,\n        position -> Integer,\n",
                "    pub featured: bool,\n    pub position: i32,\n",
            )
        } else {
            ("", "")
        };
        format!(
            "// Table {index:02}, revision {revision}.\n\n\
             use diesel::prelude::*;\n\
             use link_runtime::chrono::NaiveDateTime;\n\n\
             diesel::table! {{\n    \
                 {table} (id) {{\n        \
                     id -> Text,\n        \
                     model{l:02}_id -> Text,\n        \
                     model{r:02}_id -> Text,\n\
                     {columns}        \
                     created_at -> Timestamp,\n        \
                     updated_at -> Timestamp,\n        \
                     deleted_at -> Nullable<Timestamp>,\n    \
                 }}\n\
             }}\n\n\
             #[derive(Debug, Queryable, Selectable)]\n\
             #[diesel(table_name = {table})]\n\
             pub struct Row {{\n    \
                 pub id: String,\n    \
                 pub model{l:02}_id: String,\n    \
                 pub model{r:02}_id: String,\n\
                 {fields}    \
                 pub created_at: NaiveDateTime,\n    \
                 pub updated_at: NaiveDateTime,\n    \
                 pub deleted_at: Option<NaiveDateTime>,\n\
             }}\n",
            index = self.index,
        )
    }
}

/// `src/models.rs`, the same in both crates: one module per model.
fn models_file() -> String {
    let mut text = String::from("//! One module per model, each knowing nothing of the others.\n");
    for m in 0..MODELS {
        write!(
            text,
            "\npub mod m{m:02} {{\n    \
                 use link_runtime::prelude::*;\n\n    \
                 #[derive(Debug, Linkable)]\n    \
                 #[linkable(module = \"m{m:02}\")]\n    \
                 pub struct Model{m:02} {{\n        \
                     pub id: String,\n    \
                 }}\n\
             }}\n"
        )
        .expect("writing to a String");
    }
    text
}

/// The generated crates, their shared target dir and how cargo runs on them.
struct Bench {
    /// The scratch dir: `<target>/macro-cost`.
    root: PathBuf,
    /// The target dir both crates build into: `<root>/target`.
    target: PathBuf,
    /// Whether cargo runs with `--offline`.
    offline: bool,
}

impl Bench {
    /// The benchmark in `root`; nothing is written yet.
    fn new(root: PathBuf) -> Self {
        let offline = std::env::var("MACRO_COST_OFFLINE").map_or(true, |v| v != "0");
        Bench {
            target: root.join("target"),
            root,
            offline,
        }
    }

    /// The root folder of a crate.
    fn dir(&self, kind: Kind) -> PathBuf {
        self.root.join(kind.name())
    }

    /// Writes both crates afresh (the shared target dir is kept).
    fn generate(&self) {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("bench/ sits in the workspace");
        let runtime = workspace
            .join("link-runtime")
            .canonicalize()
            .expect("link-runtime is next to bench/");
        let links = Link::all();
        for kind in Kind::BOTH {
            let dir = self.dir(kind);
            if dir.exists() {
                fs::remove_dir_all(&dir).expect("the old generated crate can be removed");
            }
            let manifest = format!(
                "[package]\n\
                 name = \"{name}\"\n\
                 version = \"0.1.0\"\n\
                 edition = \"2021\"\n\
                 publish = false\n\n\
                 [dependencies]\n\
                 diesel = {{ version = \"2.2\", default-features = false, features = [\"sqlite\", \"chrono\"] }}\n\
                 link-runtime = {{ path = {runtime:?} }}\n\n\
                 # Not a member of the link-runtime workspace.\n\
                 [workspace]\n",
                name = kind.name(),
                runtime = runtime.to_str().expect("a UTF-8 path"),
            );
            write(&dir.join("Cargo.toml"), &manifest);
            // Cargo notices a new file in the folder only when a build script watches it;
            // the tables crate gets the same build script so both pay for one.
            let build = format!(
                "fn main() {{\n    println!(\"cargo:rerun-if-changed={}\");\n}}\n",
                kind.folder()
            );
            write(&dir.join("build.rs"), &build);
            write(&dir.join("src/models.rs"), &models_file());
            // The workspace's lock pins versions already downloaded; cargo trims it.
            fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"))
                .expect("the workspace's Cargo.lock copies");
            for link in &links {
                let text = match kind {
                    Kind::Tables => link.table_file(0),
                    Kind::Links => link.link_file(0),
                };
                write(&dir.join(kind.file(link.index)), &text);
            }
            write(&dir.join("src/lib.rs"), &lib_file(kind, &links));
            if kind == Kind::Tables {
                let mods: String = links
                    .iter()
                    .map(|link| format!("pub mod table_{:02};\n", link.index))
                    .collect();
                write(
                    &dir.join("src/tables/mod.rs"),
                    &format!("//! The pivot tables, written by hand.\n\n{mods}"),
                );
            }
        }
    }

    /// Deletes the shared target dir, for a build with dependencies included.
    fn delete_target(&self) {
        if self.target.exists() {
            fs::remove_dir_all(&self.target).expect("the scratch target dir can be removed");
        }
    }

    /// Rewrites the touched file of `kind` with a changed comment.
    fn touch(&self, kind: Kind, revision: usize) {
        let link = Link::all()
            .into_iter()
            .nth(TOUCHED)
            .expect("the touched link exists");
        let text = match kind {
            Kind::Tables => link.table_file(revision),
            Kind::Links => link.link_file(revision),
        };
        write(&self.dir(kind).join(kind.file(TOUCHED)), &text);
    }

    /// Times `cargo build` of a crate, printing the figure to stderr as progress.
    fn build(&self, kind: Kind, what: &str) -> Duration {
        let start = Instant::now();
        self.cargo(kind, &["build"]);
        let elapsed = start.elapsed();
        eprintln!(
            "macro_cost: {:<7} {what}: {:.2} s",
            kind.name(),
            elapsed.as_secs_f64()
        );
        elapsed
    }

    /// Runs cargo with `args` in a crate's folder; on failure prints cargo's output and exits
    /// non-zero.
    fn cargo(&self, kind: Kind, args: &[&str]) {
        let mut command = Command::new(env!("CARGO"));
        command
            .args(args)
            .current_dir(self.dir(kind))
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_TERM_COLOR", "never")
            // Set for this bench by cargo; not meant for the generated crates' builds.
            .env_remove("OUT_DIR")
            .env_remove("CARGO_MAKEFLAGS")
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS")
            .stdin(Stdio::null());
        if self.offline {
            command.arg("--offline");
        }
        let output = command.output().expect("cargo starts");
        if !output.status.success() {
            eprintln!(
                "macro_cost: `cargo {}` failed in {} ({}):\n{}{}",
                args.join(" "),
                self.dir(kind).display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            );
            std::process::exit(1);
        }
    }

    /// The Markdown report: the table of figures, the sizes and the machine.
    fn report(&self, rows: &[Row]) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(String::new());
        line(format!(
            "## Compile-time cost of `define_link!`: {LINKS} links between {MODELS} models"
        ));
        line(String::new());
        line("| build | hand-written `table!`s | `define_link!` | added | ratio |".into());
        line("|---|---:|---:|---:|---:|".into());
        for row in rows {
            let (tables, links) = (row.median(Kind::Tables), row.median(Kind::Links));
            let added = links - tables;
            line(format!(
                "| {} | {tables:.2} s | {links:.2} s | {added:+.2} s ({:+.1}%) | {:.3} |",
                row.name,
                added / tables * 100.0,
                links / tables,
            ));
        }
        line(String::new());
        for kind in Kind::BOTH {
            let (files, lines) = source_size(&self.dir(kind).join(kind.folder()));
            line(format!(
                "- `{}/`: {files} files, {lines} lines (crate `{}`)",
                kind.folder(),
                kind.name()
            ));
        }
        let (_, model_lines) = source_size(&self.dir(Kind::Links).join("src/models.rs"));
        line(format!(
            "- both crates: `src/models.rs`, {MODELS} `#[derive(Linkable)]` models in {model_lines} lines"
        ));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        line(format!(
            "- machine: {cores} cores (available parallelism), {}",
            tool_version()
        ));
        // The target applies to the two clean builds: with and without the dependencies.
        let verdicts: Vec<String> = rows
            .iter()
            .take(2)
            .map(|row| {
                let (tables, links) = (row.median(Kind::Tables), row.median(Kind::Links));
                let added = (links - tables) / tables * 100.0;
                let verdict = if added <= 10.0 { "met" } else { "NOT met" };
                format!("{verdict} for \"{}\" ({added:+.1}%)", row.name)
            })
            .collect();
        line(format!(
            "- target, at most 10% added to the clean build: {}",
            verdicts.join("; ")
        ));
        out
    }
}

/// `src/lib.rs` of a crate.
fn lib_file(kind: Kind, links: &[Link]) -> String {
    match kind {
        Kind::Tables => format!(
            "//! {MODELS} models and the pivot tables of {LINKS} links, written by hand.\n\n\
             pub mod models;\n\
             pub mod tables;\n"
        ),
        Kind::Links => {
            let tables: String = links
                .iter()
                .map(|link| format!("    crate::links::link_{:02}::Link::TABLE,\n", link.index))
                .collect();
            let expected: String = links
                .iter()
                .map(|link| format!("            {:?},\n", link.table()))
                .collect();
            format!(
                "//! {MODELS} models and {LINKS} links through `define_link!`.\n\n\
                 pub mod models;\n\n\
                 link_runtime::links!();\n\n\
                 /// The pivot table of every link: a link that did not expand fails the build.\n\
                 pub const LINK_TABLES: &[&str] = &[\n{tables}];\n\n\
                 #[test]\n\
                 fn the_tables_are_named_as_the_hand_written_ones() {{\n    \
                     assert_eq!(\n        \
                         LINK_TABLES,\n        \
                         [\n{expected}        ]\n    \
                     );\n\
                 }}\n"
            )
        }
    }
}

/// One row of the report: the builds of each crate under one scenario.
struct Row {
    /// The row's label.
    name: String,
    /// The times of the `tables` crate.
    tables: Vec<Duration>,
    /// The times of the `links` crate.
    links: Vec<Duration>,
}

impl Row {
    /// An empty row.
    fn new(name: &str) -> Self {
        Row {
            name: name.to_owned(),
            tables: Vec::new(),
            links: Vec::new(),
        }
    }

    /// Records a build of `kind`.
    fn push(&mut self, kind: Kind, time: Duration) {
        match kind {
            Kind::Tables => self.tables.push(time),
            Kind::Links => self.links.push(time),
        }
    }

    /// The median time of `kind`, in seconds.
    fn median(&self, kind: Kind) -> f64 {
        let mut times: Vec<f64> = match kind {
            Kind::Tables => &self.tables,
            Kind::Links => &self.links,
        }
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
        assert!(!times.is_empty(), "no build recorded for `{}`", self.name);
        times.sort_by(f64::total_cmp);
        let middle = times.len() / 2;
        if times.len() % 2 == 1 {
            times[middle]
        } else {
            (times[middle - 1] + times[middle]) / 2.0
        }
    }
}

/// The number of `.rs` files at `path` (a file or a folder, not recursive) and their lines.
fn source_size(path: &Path) -> (usize, usize) {
    let files: Vec<PathBuf> = if path.is_dir() {
        fs::read_dir(path)
            .expect("the generated folder reads")
            .map(|entry| entry.expect("the generated folder reads").path())
            .filter(|file| file.extension().is_some_and(|e| e == "rs"))
            .collect()
    } else {
        vec![path.to_owned()]
    };
    let lines = files
        .iter()
        .map(|file| {
            fs::read_to_string(file)
                .expect("a generated file reads")
                .lines()
                .count()
        })
        .sum();
    (files.len(), lines)
}

/// `cargo --version` of the cargo that runs the builds.
fn tool_version() -> String {
    Command::new(env!("CARGO"))
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map_or_else(
            || "cargo version unknown".to_owned(),
            |output| String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        )
}

/// Writes a generated file, creating its folder.
fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("the generated crate's folder can be created");
    }
    fs::write(path, text).expect("a generated file can be written");
}
