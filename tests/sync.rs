//! Migration sync on a real SQLite database: plans, safe and unsafe actions, apply, the
//! metadata table, diesel migration export, and the embeddable `links` command.
//!
//! A test binary cannot unregister a link or change one between two syncs, so the tests
//! that change a link declare each version as a link of its own (`sync_probe_one`,
//! `sync_probe_two`, ...) and plan with [`plan_for`] for that version moved onto one table,
//! `sync_probe`: the schema, the SQL and the index names are the macro's, with only the
//! table name swapped.

#![deny(warnings)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::SqliteConnection;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use link_runtime::cli::LinksCommand;
use link_runtime::migrate::{
    apply, export_migrations, plan, plan_for, ActionKind, Plan, SkipReason,
};
use link_runtime::prelude::*;
use link_runtime::{Index, LinkDefinition, LinkSchema};

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

fn database() -> SqliteConnection {
    SqliteConnection::establish(":memory:").expect("in-memory SQLite opens")
}

/// Syncs `conn` with `schema` alone, safe actions only.
fn sync(conn: &mut SqliteConnection, schema: &LinkSchema) {
    let plan = plan_for(conn, &[schema]).expect("the plan is made");
    apply(conn, &plan, false).expect("the plan applies");
}

fn kinds(plan: &Plan) -> Vec<ActionKind> {
    plan.actions().iter().map(|a| a.kind().clone()).collect()
}

fn column(name: &str) -> String {
    name.to_owned()
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn columns_of(conn: &mut SqliteConnection, table: &str) -> Vec<String> {
    diesel::sql_query("SELECT name FROM pragma_table_info(?) ORDER BY cid")
        .bind::<Text, _>(table)
        .load::<Name>(conn)
        .expect("columns read")
        .into_iter()
        .map(|n| n.name)
        .collect()
}

fn indexes_of(conn: &mut SqliteConnection, table: &str) -> Vec<String> {
    diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL \
         ORDER BY name",
    )
    .bind::<Text, _>(table)
    .load::<Name>(conn)
    .expect("indexes read")
    .into_iter()
    .map(|n| n.name)
    .collect()
}

fn recorded_links(conn: &mut SqliteConnection) -> Vec<String> {
    diesel::sql_query("SELECT table_name AS name FROM link_metadata ORDER BY table_name")
        .load::<Name>(conn)
        .expect("metadata read")
        .into_iter()
        .map(|n| n.name)
        .collect()
}

#[derive(QueryableByName, Debug, PartialEq)]
struct ProbeRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    label_id: String,
}

fn probe_rows(conn: &mut SqliteConnection) -> Vec<ProbeRow> {
    diesel::sql_query("SELECT id, item_id, label_id FROM sync_probe ORDER BY id")
        .load(conn)
        .expect("probe rows read")
}

fn insert_probe_rows(conn: &mut SqliteConnection, n: usize) {
    for i in 0..n {
        diesel::sql_query("INSERT INTO sync_probe (id, item_id, label_id) VALUES (?, ?, ?)")
            .bind::<Text, _>(format!("link_{i}"))
            .bind::<Text, _>(format!("item_{i}"))
            .bind::<Text, _>(format!("label_{i}"))
            .execute(conn)
            .expect("a probe row goes in");
    }
}

#[test]
fn a_fresh_database_gets_every_table_and_a_second_sync_plans_nothing() {
    let mut conn = database();
    let first = plan(&mut conn).unwrap();
    let links = link_runtime::registered_links().unwrap();
    assert_eq!(first.actions().len(), 1 + links.len());
    assert_eq!(first.actions()[0].kind(), &ActionKind::CreateMetadataTable);
    assert!(first.actions().iter().all(|a| a.is_safe()));

    let applied = apply(&mut conn, &first, false).unwrap();
    assert_eq!(applied.applied, first.actions());
    assert!(applied.skipped.is_empty());
    let tables: Vec<&str> = links.iter().map(|l| l.table).collect();
    assert_eq!(recorded_links(&mut conn), tables);
    for link in &links {
        let expected: Vec<&str> = link.indexes.iter().map(|i| i.name).collect();
        let mut expected = expected;
        expected.sort_unstable();
        assert_eq!(
            indexes_of(&mut conn, link.table),
            expected,
            "{}",
            link.table
        );
    }

    let second = plan(&mut conn).unwrap();
    assert!(second.is_empty(), "{second}");
    assert_eq!(
        second.to_string(),
        "-- the database is in sync with the links: nothing to do\n"
    );
    assert!(link_runtime::migrate(&mut conn).unwrap().applied.is_empty());
}

#[test]
fn tables_made_before_the_metadata_are_adopted_not_recreated() {
    let mut conn = database();
    let schema = probe::<one::Link>();
    conn.batch_execute(schema.sqlite_sql).unwrap();
    insert_probe_rows(&mut conn, 2);

    let plan = plan_for(&mut conn, &[schema]).unwrap();
    assert_eq!(
        kinds(&plan),
        [ActionKind::CreateMetadataTable, ActionKind::RecordLink]
    );
    apply(&mut conn, &plan, false).unwrap();
    assert_eq!(probe_rows(&mut conn).len(), 2);
    assert_eq!(recorded_links(&mut conn), [PROBE]);
    assert!(plan_for(&mut conn, &[schema]).unwrap().is_empty());
}

#[test]
fn an_added_extra_column_is_planned_safe_and_applied_keeping_rows() {
    let mut conn = database();
    let v1 = probe::<one::Link>();
    sync(&mut conn, v1);
    insert_probe_rows(&mut conn, 3);

    let v2 = probe::<two::Link>();
    let plan = plan_for(&mut conn, &[v2]).unwrap();
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

    let applied = apply(&mut conn, &plan, false).unwrap();
    assert_eq!(applied.applied.len(), 3);
    assert_eq!(
        columns_of(&mut conn, PROBE),
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
    assert_eq!(probe_rows(&mut conn).len(), 3);

    #[derive(QueryableByName)]
    struct Added {
        #[diesel(sql_type = BigInt)]
        rank: i64,
        #[diesel(sql_type = Nullable<Text>)]
        note: Option<String>,
    }
    let added: Vec<Added> = diesel::sql_query("SELECT rank, note FROM sync_probe")
        .load(&mut conn)
        .unwrap();
    assert!(added.iter().all(|a| a.rank == 7 && a.note.is_none()));

    assert!(plan_for(&mut conn, &[v2]).unwrap().is_empty());
}

#[test]
fn unsafe_column_changes_wait_for_permission_and_indexes_follow_is_list() {
    let mut conn = database();
    let v2 = probe::<two::Link>();
    sync(&mut conn, v2);
    insert_probe_rows(&mut conn, 2);
    diesel::sql_query("UPDATE sync_probe SET title = '42', note = 'keep me'")
        .execute(&mut conn)
        .unwrap();

    let v3 = probe::<three::Link>();
    let plan = plan_for(&mut conn, &[v3]).unwrap();
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
    let applied = apply(&mut conn, &plan, false).unwrap();
    assert_eq!(applied.applied.len(), 2);
    assert_eq!(applied.skipped.len(), 4);
    assert_eq!(applied.skipped[3].action.kind(), &ActionKind::RecordLink);
    assert_eq!(applied.skipped[3].reason, SkipReason::LinkIncomplete);
    assert!(columns_of(&mut conn, PROBE).contains(&"note".to_owned()));
    assert_eq!(
        indexes_of(&mut conn, PROBE),
        [
            "sync_probe_id_unique",
            "sync_probe_item_id_live_index",
            "sync_probe_label_id_live_index",
        ]
    );
    // A label may now have many items.
    diesel::sql_query(
        "INSERT INTO sync_probe (id, item_id, label_id) VALUES ('link_x', 'item_9', 'label_0')",
    )
    .execute(&mut conn)
    .expect("the unique index on label_id is gone");

    // The next plan finds what is left, and nothing that already ran.
    let rest = plan_for(&mut conn, &[v3]).unwrap();
    assert_eq!(rest.actions().len(), 4);
    assert!(rest.actions().iter().all(|a| !matches!(
        a.kind(),
        ActionKind::DropIndex { .. } | ActionKind::CreateIndex { .. }
    )));

    let applied = apply(&mut conn, &rest, true).unwrap();
    assert_eq!(applied.applied.len(), 4);
    assert!(applied.skipped.is_empty());
    assert_eq!(
        columns_of(&mut conn, PROBE),
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
    #[derive(QueryableByName)]
    struct Title {
        #[diesel(sql_type = BigInt)]
        title: i64,
    }
    let titles: Vec<Title> =
        diesel::sql_query("SELECT title FROM sync_probe WHERE id IN ('link_0', 'link_1')")
            .load(&mut conn)
            .unwrap();
    assert_eq!(titles.iter().map(|t| t.title).collect::<Vec<_>>(), [42, 42]);
    assert_eq!(probe_rows(&mut conn).len(), 3);
    assert!(plan_for(&mut conn, &[v3]).unwrap().is_empty());
}

#[test]
fn a_removed_link_is_an_unsafe_drop_that_keeps_its_rows_until_allowed() {
    let mut conn = database();
    let schema = probe::<one::Link>();
    sync(&mut conn, schema);
    insert_probe_rows(&mut conn, 3);
    let before = probe_rows(&mut conn);

    // The link's file is removed: the program defines no link on `sync_probe` any more.
    let plan = plan_for(&mut conn, &[]).unwrap();
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
        let applied = apply(&mut conn, &plan, false).unwrap();
        assert!(applied.applied.is_empty());
        assert_eq!(applied.skipped.len(), 1);
        assert_eq!(
            applied.skipped[0].reason.to_string(),
            "unsafe: `sync_probe` holds 3 row(s), which would be lost"
        );
        assert_eq!(probe_rows(&mut conn), before, "no row is lost");
        assert_eq!(recorded_links(&mut conn), [PROBE]);
    }

    let applied = apply(&mut conn, &plan, true).unwrap();
    assert_eq!(applied.applied.len(), 1);
    assert!(columns_of(&mut conn, PROBE).is_empty(), "the table is gone");
    assert!(recorded_links(&mut conn).is_empty());
    assert!(plan_for(&mut conn, &[]).unwrap().is_empty());
}

#[test]
fn an_empty_table_of_a_removed_link_drops_safely_and_a_gone_table_is_forgotten() {
    let mut conn = database();
    let schema = probe::<one::Link>();
    sync(&mut conn, schema);

    let plan = plan_for(&mut conn, &[]).unwrap();
    assert_eq!(kinds(&plan), [ActionKind::DropTable { rows: 0 }]);
    assert!(plan.actions()[0].is_safe());

    conn.batch_execute("DROP TABLE sync_probe").unwrap();
    let plan = plan_for(&mut conn, &[]).unwrap();
    assert_eq!(kinds(&plan), [ActionKind::ForgetLink]);
    apply(&mut conn, &plan, false).unwrap();
    assert!(recorded_links(&mut conn).is_empty());
}

#[test]
fn exported_migrations_run_and_revert_under_diesels_harness() {
    let dir = std::env::temp_dir().join(format!("link-sync-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut conn = database();
    let before = plan(&mut conn).unwrap();

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
        plan(&mut conn).unwrap() == before,
        "exporting changes nothing"
    );

    let migrations = FileBasedMigrations::from_path(&dir).expect("diesel reads the folder");
    let ran = conn.run_pending_migrations(migrations.clone()).unwrap();
    assert_eq!(ran.len(), 1);
    let after = plan(&mut conn).unwrap();
    assert!(after.is_empty(), "{after}");
    assert_eq!(
        recorded_links(&mut conn).len(),
        link_runtime::registered_links().unwrap().len()
    );

    conn.revert_last_migration(migrations).unwrap();
    assert_eq!(plan(&mut conn).unwrap(), before, "reverting undoes it all");

    // In sync, nothing is written.
    apply(&mut conn, &before, false).unwrap();
    let synced = plan(&mut conn).unwrap();
    assert_eq!(export_migrations(&synced, &dir, false).unwrap(), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exported_down_sql_recreates_a_dropped_table() {
    let dir = std::env::temp_dir().join(format!("link-sync-drop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut conn = database();
    let schema = probe::<one::Link>();
    sync(&mut conn, schema);
    insert_probe_rows(&mut conn, 1);

    let drop = plan_for(&mut conn, &[]).unwrap();
    assert_eq!(export_migrations(&drop, &dir, false).unwrap(), None);
    let folder = export_migrations(&drop, &dir, true).unwrap().unwrap();
    let down = std::fs::read_to_string(folder.join("down.sql")).unwrap();
    apply(&mut conn, &drop, true).unwrap();
    conn.batch_execute(&down).unwrap();
    assert!(probe_rows(&mut conn).is_empty(), "back, without its rows");
    assert_eq!(recorded_links(&mut conn), [PROBE]);
    assert!(plan_for(&mut conn, &[schema]).unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run(conn: &mut SqliteConnection, command: LinksCommand) -> String {
    let mut out = Vec::new();
    command.run(conn, &mut out).expect("the command runs");
    String::from_utf8(out).unwrap()
}

#[test]
fn the_links_command_plans_prints_migrates_and_exports() {
    let mut conn = database();
    let planned = run(&mut conn, LinksCommand::Plan);
    assert!(
        planned.starts_with(
            "link sync plan (Sqlite):\n  [safe] create the link metadata table `link_metadata`\n"
        ),
        "{planned}"
    );
    assert!(planned.contains("  [safe] create table `sync_probe_one` (item -> label)\n"));

    let sql = run(&mut conn, LinksCommand::Sql);
    assert_eq!(sql, plan(&mut conn).unwrap().to_string());

    let dir = std::env::temp_dir().join(format!("link-sync-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let exported = run(
        &mut conn,
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
        &mut conn,
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
        run(&mut conn, LinksCommand::Plan),
        "the database is in sync with the links: nothing to do\n"
    );
}

#[test]
fn a_table_made_for_other_models_is_replaced_only_when_allowed() {
    let mut conn = database();
    sync(&mut conn, probe::<one::Link>());
    insert_probe_rows(&mut conn, 2);

    // `sync_probe` now names a link between items and badges.
    let badges = probe::<four::Link>();
    let plan = plan_for(&mut conn, &[badges]).unwrap();
    assert_eq!(
        kinds(&plan),
        [ActionKind::DropTable { rows: 2 }, ActionKind::CreateTable]
    );
    assert!(plan.to_string().contains(
        "-- [UNSAFE: `sync_probe` holds 2 row(s), which would be lost] drop table `sync_probe`: \
         its link (item -> label) is no longer defined"
    ));

    // Creating the new table waits for the drop: nothing is recorded over the old table.
    let applied = apply(&mut conn, &plan, false).unwrap();
    assert!(applied.applied.is_empty());
    let reasons: Vec<_> = applied.skipped.iter().map(|s| s.reason.clone()).collect();
    assert!(matches!(reasons[0], SkipReason::Unsafe { .. }));
    assert_eq!(reasons[1], SkipReason::LinkIncomplete);
    assert_eq!(probe_rows(&mut conn).len(), 2);

    apply(&mut conn, &plan, true).unwrap();
    assert!(columns_of(&mut conn, PROBE).contains(&"badge_id".to_owned()));
    assert!(plan_for(&mut conn, &[badges]).unwrap().is_empty());
}

#[test]
fn a_hostile_column_name_stays_inside_its_quotes_and_its_comment() {
    let mut conn = database();
    let schema = probe::<one::Link>();
    sync(&mut conn, schema);
    insert_probe_rows(&mut conn, 1);
    let hostile = "x\"; DROP TABLE link_metadata; --\nDROP TABLE link_metadata; --";
    diesel::sql_query(format!(
        "ALTER TABLE sync_probe ADD COLUMN \"{}\" TEXT",
        hostile.replace('"', "\"\"")
    ))
    .execute(&mut conn)
    .unwrap();

    let plan = plan_for(&mut conn, &[schema]).unwrap();
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

    apply(&mut conn, &plan, true).unwrap();
    assert_eq!(
        recorded_links(&mut conn),
        [PROBE],
        "the metadata is still there"
    );
    assert!(!columns_of(&mut conn, PROBE).iter().any(|c| c == hostile));
    assert_eq!(probe_rows(&mut conn).len(), 1);
    assert!(plan_for(&mut conn, &[schema]).unwrap().is_empty());
}

#[test]
fn two_links_on_one_table_are_refused_before_anything_is_planned() {
    let mut conn = database();
    let error = plan_for(&mut conn, &[probe::<one::Link>(), probe::<two::Link>()]).unwrap_err();
    assert!(matches!(
        error,
        link_runtime::Error::DuplicateTable { table: PROBE, .. }
    ));
    assert!(plan(&mut conn).unwrap().actions()[0].kind() == &ActionKind::CreateMetadataTable);
}
