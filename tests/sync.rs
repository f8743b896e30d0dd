//! Migration sync on real databases (SQLite, and PostgreSQL when configured): plans, safe
//! and unsafe actions, apply, the metadata table, diesel migration export, and the
//! embeddable `links` command.
//!
//! A test binary cannot unregister a link or change one between two syncs, so the tests
//! that change a link declare each version as a link of its own (`sync_probe_one`,
//! `sync_probe_two`, ...) and plan with [`plan_for`] for that version moved onto one table,
//! `sync_probe`: the schema, the SQL and the index names are the macro's, with only the
//! table name swapped.

#![deny(warnings)]

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use link_runtime::cli::LinksCommand;
use link_runtime::migrate::{export_migrations, ActionKind, Plan, SkipReason};
use link_runtime::prelude::*;
use link_runtime::{Dialect, Index, LinkConnection, LinkDefinition, LinkSchema};
use link_test_support::via::{self, apply, plan, plan_for};
use link_test_support::TestSql;

/// An item of the probe module.
#[derive(Linkable)]
#[linkable(module = "probe")]
pub struct Item {
    /// Its id.
    pub id: String,
}

/// A label of the probe module.
#[derive(Linkable)]
#[linkable(module = "probe")]
pub struct Label {
    /// Its id.
    pub id: String,
}

/// The first version: one text column.
mod one {
    use super::{Item, Label};
    link_runtime::define_link! {
        Item, Label(is_list),
        database(table = "sync_probe_one"),
        columns { title: String = "new" },
    }
}

/// The second: two columns added.
mod two {
    use super::{Item, Label};
    link_runtime::define_link! {
        Item, Label(is_list),
        database(table = "sync_probe_two"),
        columns { title: String = "new", rank: i32 = 7, note: Option<String> },
    }
}

/// The third: `title` becomes a number, `rank` and `note` are gone, and an item may now
/// have many labels *and* a label many items, so the label's unique index goes.
mod three {
    use super::{Item, Label};
    link_runtime::define_link! {
        Item(is_list), Label(is_list),
        database(table = "sync_probe_three"),
        columns { title: i64 = 0 },
    }
}

/// A badge of the probe module.
#[derive(Linkable)]
#[linkable(module = "probe")]
pub struct Badge {
    /// Its id.
    pub id: String,
}

/// Another link on the same table name: items and badges, not items and labels.
mod four {
    use super::{Badge, Item};
    link_runtime::define_link!(Item, Badge, database(table = "sync_probe_four"));
}

const PROBE: &str = "sync_probe";

/// `L`'s schema, moved onto the table `sync_probe`.
fn probe<L: LinkDefinition>() -> &'static LinkSchema {
    let schema = L::SCHEMA;
    let moved = |text: &str| -> &'static str { text.replace(schema.table, PROBE).leak() };
    let indexes: Vec<Index> = schema
        .indexes
        .iter()
        .map(|index| Index {
            name: moved(index.name),
            sql: moved(index.sql),
        })
        .collect();
    Box::leak(Box::new(LinkSchema {
        table: PROBE,
        indexes: indexes.leak(),
        sqlite_sql: moved(schema.sqlite_sql),
        postgres_sql: moved(schema.postgres_sql),
        ..*schema
    }))
}

/// The backend `conn` talks to.
fn dialect_of<C: LinkConnection>(_: &C) -> Dialect {
    C::DIALECT
}

/// A scratch folder for exported migrations, apart for each test and backend (both run in
/// one process, in parallel).
fn scratch_dir<C: LinkConnection>(conn: &C, test: &str) -> PathBuf {
    let dialect = format!("{:?}", dialect_of(conn)).to_lowercase();
    std::env::temp_dir().join(format!("link-sync-{test}-{dialect}-{}", std::process::id()))
}

/// Syncs `conn` with `schema` alone, safe actions only.
fn sync(conn: &mut impl LinkConnection, schema: &LinkSchema) {
    let plan = plan_for(conn, &[schema]).expect("the plan is made");
    apply(conn, &plan, false).expect("the plan applies");
}

fn kinds(plan: &Plan) -> Vec<ActionKind> {
    plan.actions().iter().map(|a| a.kind().clone()).collect()
}

fn column(name: &str) -> String {
    name.to_owned()
}

/// The type `table`'s column `name` has, as the database reports it.
fn type_of(conn: &mut impl TestSql, table: &str, name: &str) -> String {
    conn.column_types(table)
        .into_iter()
        .find(|(column, _)| column == name)
        .map(|(_, kind)| kind)
        .unwrap_or_else(|| panic!("`{table}` has no column `{name}`"))
}

/// The tables `link_metadata` records, sorted.
fn recorded_links(conn: &mut impl TestSql) -> Vec<String> {
    let mut tables = conn.texts("SELECT table_name FROM link_metadata", &[]);
    tables.sort_unstable();
    tables
}

/// `(id, item_id, label_id)` of each row of `sync_probe`, by id.
fn probe_rows(conn: &mut impl TestSql) -> Vec<(String, String, String)> {
    conn.rows(
        "SELECT id, item_id, label_id FROM sync_probe ORDER BY id",
        &[],
    )
    .into_iter()
    .map(|row| match <[String; 3]>::try_from(row) {
        Ok([id, item, label]) => (id, item, label),
        Err(row) => panic!("three columns expected: {row:?}"),
    })
    .collect()
}

fn insert_probe_rows(conn: &mut impl TestSql, n: usize) {
    for i in 0..n {
        let (id, item, label) = (
            format!("link_{i}"),
            format!("item_{i}"),
            format!("label_{i}"),
        );
        conn.exec(
            "INSERT INTO sync_probe (id, item_id, label_id) VALUES (?, ?, ?)",
            &[&id, &item, &label],
        );
    }
}

fn run(conn: &mut impl LinkConnection, command: LinksCommand) -> String {
    let mut out = Vec::new();
    command.run(conn, &mut out).expect("the command runs");
    String::from_utf8(out).unwrap()
}

link_test_support::backend_tests! {
    drivers;
    /// A sync stopped between two actions (here by an action that fails: a view in the
    /// place of its table) keeps the actions before it, with their metadata, and leaves
    /// nothing of the one that failed; the next sync plans and runs exactly the rest.
    fn a_sync_cut_short_between_actions_resumes_where_it_stopped(conn) {
        let first = plan(conn).unwrap();
        let actions = first.actions();
        assert!(actions.len() >= 5, "{first}");
        let victim = actions[3].table().to_owned();
        // Made after the plan, as a sync would meet it halfway.
        conn.batch_execute(&format!(r#"CREATE VIEW "{victim}" AS SELECT 'x' AS id"#))
            .unwrap();

        let error = apply(conn, &first, false).unwrap_err();
        match &error {
            link_runtime::Error::Sync { action, .. } => {
                assert_eq!(action, &actions[3].to_string());
            }
            other => panic!("expected a sync error, got {other:?}"),
        }
        let mut done: Vec<String> = actions[1..3].iter().map(|a| a.table().to_owned()).collect();
        done.sort_unstable();
        assert_eq!(recorded_links(conn), done);
        for action in &actions[1..3] {
            assert!(!conn.column_names(action.table()).is_empty(), "{action}");
        }
        conn.batch_execute(&format!(r#"DROP VIEW "{victim}""#)).unwrap();
        for action in &actions[3..] {
            assert!(conn.column_names(action.table()).is_empty(), "{action} did not run");
        }

        let rest = plan(conn).unwrap();
        assert_eq!(rest.actions(), &actions[3..]);
        apply(conn, &rest, false).unwrap();
        assert!(plan(conn).unwrap().is_empty());
        let mut all: Vec<String> = actions[1..].iter().map(|a| a.table().to_owned()).collect();
        all.sort_unstable();
        assert_eq!(recorded_links(conn), all);
    }

    fn a_fresh_database_gets_every_table_and_a_second_sync_plans_nothing(conn) {
        let first = plan(conn).unwrap();
        let links = link_runtime::registered_links().unwrap();
        assert_eq!(first.actions().len(), 1 + links.len());
        assert_eq!(first.actions()[0].kind(), &ActionKind::CreateMetadataTable);
        assert!(first.actions().iter().all(|a| a.is_safe()));

        let applied = apply(conn, &first, false).unwrap();
        assert_eq!(applied.applied, first.actions());
        assert!(applied.skipped.is_empty());
        let tables: Vec<&str> = links.iter().map(|l| l.table).collect();
        assert_eq!(recorded_links(conn), tables);
        for link in &links {
            let expected: Vec<&str> = link.indexes.iter().map(|i| i.name).collect();
            let mut expected = expected;
            expected.sort_unstable();
            assert_eq!(
                conn.index_names(link.table),
                expected,
                "{}",
                link.table
            );
        }

        let second = plan(conn).unwrap();
        assert!(second.is_empty(), "{second}");
        assert_eq!(
            second.to_string(),
            "-- the database is in sync with the links: nothing to do\n"
        );
        assert!(via::migrate(conn).unwrap().applied.is_empty());
    }

    fn tables_made_before_the_metadata_are_adopted_not_recreated(conn) {
        let schema = probe::<one::Link>();
        conn.batch_execute(schema.create_sql(dialect_of(conn))).unwrap();
        insert_probe_rows(conn, 2);

        let plan = plan_for(conn, &[schema]).unwrap();
        assert_eq!(
            kinds(&plan),
            [ActionKind::CreateMetadataTable, ActionKind::RecordLink]
        );
        apply(conn, &plan, false).unwrap();
        assert_eq!(probe_rows(conn).len(), 2);
        assert_eq!(recorded_links(conn), [PROBE]);
        assert!(plan_for(conn, &[schema]).unwrap().is_empty());
    }

    fn an_added_extra_column_is_planned_safe_and_applied_keeping_rows(conn) {
        let v1 = probe::<one::Link>();
        sync(conn, v1);
        insert_probe_rows(conn, 3);

        let v2 = probe::<two::Link>();
        let plan = plan_for(conn, &[v2]).unwrap();
        assert_eq!(
            kinds(&plan),
            [
                ActionKind::AddColumn {
                    column: column("rank")
                },
                ActionKind::AddColumn {
                    column: column("note")
                },
                ActionKind::RecordLink,
            ]
        );
        assert!(plan.actions().iter().all(|a| a.is_safe()));
        let sql = plan.to_string();
        assert!(
            sql.contains("-- [safe] add column `rank` to `sync_probe`\nALTER TABLE \"sync_probe\" ADD COLUMN \"rank\" INTEGER NOT NULL DEFAULT 7;"),
            "{sql}"
        );

        let applied = apply(conn, &plan, false).unwrap();
        assert_eq!(applied.applied.len(), 3);
        assert_eq!(
            conn.column_names(PROBE),
            [
                "id",
                "item_id",
                "label_id",
                "title",
                "created_at",
                "updated_at",
                "deleted_at",
                "rank",
                "note"
            ]
        );
        assert_eq!(probe_rows(conn).len(), 3);

        let added = conn.rows("SELECT rank, note FROM sync_probe", &[]);
        assert_eq!(added, vec![vec!["7".to_owned(), "NULL".to_owned()]; 3]);
        let (rank, note) = match dialect_of(conn) {
            Dialect::Sqlite => ("INTEGER", "TEXT"),
            _ => ("integer", "text"),
        };
        assert_eq!(type_of(conn, PROBE, "rank"), rank);
        assert_eq!(type_of(conn, PROBE, "note"), note);

        assert!(plan_for(conn, &[v2]).unwrap().is_empty());
    }

    fn unsafe_column_changes_wait_for_permission_and_indexes_follow_is_list(conn) {
        let v2 = probe::<two::Link>();
        sync(conn, v2);
        insert_probe_rows(conn, 2);
        conn.exec("UPDATE sync_probe SET title = '42', note = 'keep me'", &[]);

        let v3 = probe::<three::Link>();
        let plan = plan_for(conn, &[v3]).unwrap();
        let unique = "sync_probe_label_id_live_unique".to_owned();
        let listed = "sync_probe_label_id_live_index".to_owned();
        assert_eq!(
            kinds(&plan),
            [
                ActionKind::DropColumn {
                    column: column("rank")
                },
                ActionKind::DropColumn {
                    column: column("note")
                },
                ActionKind::AlterColumn {
                    column: column("title"),
                    from: r#""title" TEXT NOT NULL DEFAULT 'new'"#.to_owned(),
                    to: r#""title" BIGINT NOT NULL DEFAULT 0"#.to_owned(),
                },
                ActionKind::DropIndex { index: unique },
                ActionKind::CreateIndex { index: listed },
                ActionKind::RecordLink,
            ]
        );
        let safe: Vec<bool> = plan.actions().iter().map(|a| a.is_safe()).collect();
        assert_eq!(safe, [false, false, false, true, true, true]);
        let sql = plan.to_string();
        assert!(
            sql.contains("-- [UNSAFE: `sync_probe` holds 2 row(s); their values in this column would be lost] drop column `note`"),
            "{sql}"
        );

        // Without permission: the index changes run, the columns and the record wait.
        let applied = apply(conn, &plan, false).unwrap();
        assert_eq!(applied.applied.len(), 2);
        assert_eq!(applied.skipped.len(), 4);
        assert_eq!(applied.skipped[3].action.kind(), &ActionKind::RecordLink);
        assert_eq!(applied.skipped[3].reason, SkipReason::LinkIncomplete);
        assert!(conn.column_names(PROBE).contains(&"note".to_owned()));
        assert_eq!(
            conn.index_names(PROBE),
            [
                "sync_probe_id_unique",
                "sync_probe_item_id_live_index",
                "sync_probe_label_id_live_index",
            ]
        );
        // A label may now have many items. (Its title is a number, as `title` will be: a
        // value that does not convert is another test's.)
        conn.batch_execute(
            "INSERT INTO sync_probe (id, item_id, label_id, title) \
             VALUES ('link_x', 'item_9', 'label_0', '9')",
        )
        .expect("the unique index on label_id is gone");

        // The next plan finds what is left, and nothing that already ran.
        let rest = plan_for(conn, &[v3]).unwrap();
        assert_eq!(rest.actions().len(), 4);
        assert!(rest.actions().iter().all(|a| !matches!(
            a.kind(),
            ActionKind::DropIndex { .. } | ActionKind::CreateIndex { .. }
        )));

        let applied = apply(conn, &rest, true).unwrap();
        assert_eq!(applied.applied.len(), 4);
        assert!(applied.skipped.is_empty());
        assert_eq!(
            conn.column_names(PROBE),
            [
                "id",
                "item_id",
                "label_id",
                "created_at",
                "updated_at",
                "deleted_at",
                "title"
            ]
        );
        let bigint = match dialect_of(conn) {
            Dialect::Sqlite => "BIGINT",
            _ => "bigint",
        };
        assert_eq!(type_of(conn, PROBE, "title"), bigint);
        let titles = conn.texts("SELECT title FROM sync_probe ORDER BY id", &[]);
        assert_eq!(titles, ["42", "42", "9"]);
        assert_eq!(probe_rows(conn).len(), 3);
        assert!(plan_for(conn, &[v3]).unwrap().is_empty());
    }

    fn a_value_that_does_not_convert_becomes_zero_on_sqlite_and_stops_the_change_on_postgres(
        conn
    ) {
        let v1 = probe::<one::Link>();
        sync(conn, v1);
        insert_probe_rows(conn, 1);
        assert_eq!(conn.texts("SELECT title FROM sync_probe", &[]), ["new"]);

        let v3 = probe::<three::Link>();
        let plan = plan_for(conn, &[v3]).unwrap();
        assert!(matches!(
            kinds(&plan)[0],
            ActionKind::AlterColumn { ref column, .. } if column == "title"
        ));
        let result = apply(conn, &plan, true);
        if dialect_of(conn) == Dialect::Sqlite {
            // SQLite's CAST reads what it can of the text: nothing, so 0.
            assert_eq!(result.unwrap().applied.len(), plan.actions().len());
            assert_eq!(conn.texts("SELECT title FROM sync_probe", &[]), ["0"]);
            assert!(plan_for(conn, &[v3]).unwrap().is_empty());
            return;
        }
        // PostgreSQL refuses the cast, and the change is rolled back whole: the column is as
        // it was, nothing after it ran, and the next plan finds it all again.
        let error = result.unwrap_err();
        assert!(
            matches!(&error, link_runtime::Error::Sync { action, .. } if action.contains("`title`")),
            "{error:?}"
        );
        assert_eq!(type_of(conn, PROBE, "title"), "text");
        assert_eq!(
            conn.column_names(PROBE),
            [
                "id",
                "item_id",
                "label_id",
                "title",
                "created_at",
                "updated_at",
                "deleted_at"
            ]
        );
        assert_eq!(conn.texts("SELECT title FROM sync_probe", &[]), ["new"]);
        assert_eq!(plan_for(conn, &[v3]).unwrap(), plan);
    }

    fn a_removed_link_is_an_unsafe_drop_that_keeps_its_rows_until_allowed(conn) {
        let schema = probe::<one::Link>();
        sync(conn, schema);
        insert_probe_rows(conn, 3);
        let before = probe_rows(conn);

        // The link's file is removed: the program defines no link on `sync_probe` any more.
        let plan = plan_for(conn, &[]).unwrap();
        assert_eq!(kinds(&plan), [ActionKind::DropTable { rows: 3 }]);
        assert!(!plan.actions()[0].is_safe());
        assert_eq!(
            plan.to_string(),
            "-- link sync plan: 1 action(s), 1 unsafe\n\n\
             -- [UNSAFE: `sync_probe` holds 3 row(s), which would be lost] drop table `sync_probe`: \
             its link (item -> label) is no longer defined\n\
             DROP TABLE \"sync_probe\";\n\
             DELETE FROM \"link_metadata\" WHERE \"table_name\" = 'sync_probe';\n"
        );

        for _ in 0..2 {
            let applied = apply(conn, &plan, false).unwrap();
            assert!(applied.applied.is_empty());
            assert_eq!(applied.skipped.len(), 1);
            assert_eq!(
                applied.skipped[0].reason.to_string(),
                "unsafe: `sync_probe` holds 3 row(s), which would be lost"
            );
            assert_eq!(probe_rows(conn), before, "no row is lost");
            assert_eq!(recorded_links(conn), [PROBE]);
        }

        let applied = apply(conn, &plan, true).unwrap();
        assert_eq!(applied.applied.len(), 1);
        assert!(conn.column_names(PROBE).is_empty(), "the table is gone");
        assert!(recorded_links(conn).is_empty());
        assert!(plan_for(conn, &[]).unwrap().is_empty());
    }

    fn an_empty_table_of_a_removed_link_drops_safely_and_a_gone_table_is_forgotten(conn) {
        let schema = probe::<one::Link>();
        sync(conn, schema);

        let plan = plan_for(conn, &[]).unwrap();
        assert_eq!(kinds(&plan), [ActionKind::DropTable { rows: 0 }]);
        assert!(plan.actions()[0].is_safe());

        conn.batch_execute("DROP TABLE sync_probe").unwrap();
        let plan = plan_for(conn, &[]).unwrap();
        assert_eq!(kinds(&plan), [ActionKind::ForgetLink]);
        apply(conn, &plan, false).unwrap();
        assert!(recorded_links(conn).is_empty());
    }

    fn exported_migrations_run_and_revert_under_diesels_harness(conn) {
        let dir = scratch_dir(conn, "export");
        let _ = std::fs::remove_dir_all(&dir);
        let before = plan(conn).unwrap();

        let folder = export_migrations(&before, &dir, false)
            .unwrap()
            .expect("a fresh database has something to export");
        assert!(folder
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("_link_sync"));
        assert!(
            plan(conn).unwrap() == before,
            "exporting changes nothing"
        );

        let migrations = FileBasedMigrations::from_path(&dir).expect("diesel reads the folder");
        let ran = conn.run_pending_migrations(migrations.clone()).unwrap();
        assert_eq!(ran.len(), 1);
        let after = plan(conn).unwrap();
        assert!(after.is_empty(), "{after}");
        assert_eq!(
            recorded_links(conn).len(),
            link_runtime::registered_links().unwrap().len()
        );

        conn.revert_last_migration(migrations).unwrap();
        assert_eq!(plan(conn).unwrap(), before, "reverting undoes it all");

        // In sync, nothing is written.
        apply(conn, &before, false).unwrap();
        let synced = plan(conn).unwrap();
        assert_eq!(export_migrations(&synced, &dir, false).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn exported_down_sql_recreates_a_dropped_table(conn) {
        let dir = scratch_dir(conn, "drop");
        let _ = std::fs::remove_dir_all(&dir);
        let schema = probe::<one::Link>();
        sync(conn, schema);
        insert_probe_rows(conn, 1);

        let drop = plan_for(conn, &[]).unwrap();
        assert_eq!(export_migrations(&drop, &dir, false).unwrap(), None);
        let folder = export_migrations(&drop, &dir, true).unwrap().unwrap();
        let down = std::fs::read_to_string(folder.join("down.sql")).unwrap();
        apply(conn, &drop, true).unwrap();
        conn.batch_execute(&down).unwrap();
        assert!(probe_rows(conn).is_empty(), "back, without its rows");
        assert_eq!(recorded_links(conn), [PROBE]);
        assert!(plan_for(conn, &[schema]).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn the_links_command_plans_prints_migrates_and_exports(conn) {
        let planned = run(conn, LinksCommand::Plan);
        assert!(
            planned.starts_with(
                &format!(
                    "link sync plan ({:?}):\n  [safe] create the link metadata table `link_metadata`\n",
                    dialect_of(conn)
                )
            ),
            "{planned}"
        );
        assert!(planned.contains("  [safe] create table `sync_probe_one` (item -> label)\n"));

        let sql = run(conn, LinksCommand::Sql);
        assert_eq!(sql, plan(conn).unwrap().to_string());

        let dir = scratch_dir(conn, "cli");
        let _ = std::fs::remove_dir_all(&dir);
        let exported = run(
            conn,
            LinksCommand::ExportMigrations {
                dir: dir.clone(),
                allow_unsafe: false,
            },
        );
        assert!(exported.starts_with("wrote "), "{exported}");
        assert!(
            exported.ends_with("_link_sync/{up.sql,down.sql}\n"),
            "{exported}"
        );
        std::fs::remove_dir_all(&dir).unwrap();

        let migrated = run(
            conn,
            LinksCommand::Migrate {
                allow_unsafe: false,
            },
        );
        let actions = link_runtime::registered_links().unwrap().len() + 1;
        assert!(
            migrated.ends_with(&format!("{actions} action(s) applied, 0 skipped\n")),
            "{migrated}"
        );
        assert_eq!(
            run(conn, LinksCommand::Plan),
            "the database is in sync with the links: nothing to do\n"
        );
    }

    fn a_table_made_for_other_models_is_replaced_only_when_allowed(conn) {
        sync(conn, probe::<one::Link>());
        insert_probe_rows(conn, 2);

        // `sync_probe` now names a link between items and badges.
        let badges = probe::<four::Link>();
        let plan = plan_for(conn, &[badges]).unwrap();
        assert_eq!(
            kinds(&plan),
            [ActionKind::DropTable { rows: 2 }, ActionKind::CreateTable]
        );
        assert!(plan.to_string().contains(
            "-- [UNSAFE: `sync_probe` holds 2 row(s), which would be lost] drop table `sync_probe`: \
             its link (item -> label) is no longer defined"
        ));

        // Creating the new table waits for the drop: nothing is recorded over the old table.
        let applied = apply(conn, &plan, false).unwrap();
        assert!(applied.applied.is_empty());
        let reasons: Vec<_> = applied.skipped.iter().map(|s| s.reason.clone()).collect();
        assert!(matches!(reasons[0], SkipReason::Unsafe { .. }));
        assert_eq!(reasons[1], SkipReason::LinkIncomplete);
        assert_eq!(probe_rows(conn).len(), 2);

        apply(conn, &plan, true).unwrap();
        assert!(conn.column_names(PROBE).contains(&"badge_id".to_owned()));
        assert!(plan_for(conn, &[badges]).unwrap().is_empty());
    }

    fn a_hostile_column_name_stays_inside_its_quotes_and_its_comment(conn) {
        let schema = probe::<one::Link>();
        sync(conn, schema);
        insert_probe_rows(conn, 1);
        let hostile = "x\"; DROP TABLE link_metadata; --\nDROP TABLE link_metadata; --";
        conn.batch_execute(&format!(
            "ALTER TABLE sync_probe ADD COLUMN \"{}\" TEXT",
            hostile.replace('"', "\"\"")
        ))
        .unwrap();

        let plan = plan_for(conn, &[schema]).unwrap();
        assert_eq!(
            kinds(&plan),
            [
                ActionKind::DropColumn {
                    column: hostile.to_owned()
                },
                ActionKind::RecordLink
            ]
        );
        // The name's line break is escaped in the comment line, and kept (quoted) in the
        // statement, which is what the database is given.
        let sql = plan.to_string();
        let heading = sql.lines().nth(2).unwrap();
        assert!(
            heading.starts_with("-- [UNSAFE") && heading.ends_with("does not declare it"),
            "{sql}"
        );

        apply(conn, &plan, true).unwrap();
        assert_eq!(
            recorded_links(conn),
            [PROBE],
            "the metadata is still there"
        );
        assert!(!conn.column_names(PROBE).iter().any(|c| c == hostile));
        assert_eq!(probe_rows(conn).len(), 1);
        assert!(plan_for(conn, &[schema]).unwrap().is_empty());
    }

    fn two_links_on_one_table_are_refused_before_anything_is_planned(conn) {
        let error = plan_for(conn, &[probe::<one::Link>(), probe::<two::Link>()]).unwrap_err();
        assert!(matches!(
            error,
            link_runtime::Error::DuplicateTable { table: PROBE, .. }
        ));
        assert!(plan(conn).unwrap().actions()[0].kind() == &ActionKind::CreateMetadataTable);
    }
}
