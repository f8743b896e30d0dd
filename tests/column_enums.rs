//! Extra columns of an enum (`#[derive(ColumnEnum)]`, text with a check) and of arrays
//! (`Vec<String>`, `Vec<i32>`, `Vec<i64>`, `Vec<f64>`, `Vec<bool>`), on both backends and
//! drivers: written through `create_many_with`, read back by `list`, by the generated diesel
//! table and by a graph query of the link entity (in its JSON form, and by serde from it);
//! filtered; added by a sync to a table with a row, which then plans nothing; and changed:
//! a variant added (safe), a variant removed (unsafe while a row holds it, and the plan
//! says which), an array's element type changed.

#![deny(warnings)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use link_runtime::graph::{Condition, Graph, Order};
use link_runtime::migrate::{ActionKind, Safety};
use link_runtime::prelude::*;
use link_runtime::service::ListFilter;
use link_runtime::{Dialect, Error, ExtraColumn, LinkConnection, LinkDefinition, LinkSchema};
use link_test_support::via::{self, apply, plan_for, Via};
use link_test_support::TestSql;
use serde::Deserialize;
use serde_json::json;

/// An item of a catalog.
#[derive(Debug, Linkable)]
#[linkable(module = "catalog", table = "items")]
pub struct Item {
    /// Its id.
    pub id: String,
}

/// A label an item may carry.
#[derive(Debug, Linkable)]
#[linkable(module = "labelling", table = "labels")]
pub struct Label {
    /// Its id.
    pub id: String,
}

/// How an item carries its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ColumnEnum)]
pub enum Status {
    /// Shown.
    Active,
    /// Kept, not shown.
    OnHold,
    /// Stored under a text of its own, quote included.
    #[column(rename = "it's gone")]
    Archived,
}

/// An item's labels, with an enum column, a nullable one, and one column of each array
/// element type.
mod item_label {
    use super::{Item, Label, Status};
    link_runtime::define_link! {
        Item(is_list), Label(is_list),
        columns {
            status: Status = Status::OnHold,
            previous: Option<Status> = Some(Status::Active),
            tags: Vec<String> = ["new", "it's"],
            sizes: Vec<i32> = [],
            counts: Option<Vec<i64>>,
            weights: Vec<f64> = [0.5, -2.0],
            flags: Option<Vec<bool>> = Some([true, false]),
        },
    }
}

/// The same link without extra columns, for the sync to add them to.
mod item_label_bare {
    use super::{Item, Label};
    link_runtime::define_link!(
        Item(is_list),
        Label(is_list),
        database(table = "item_label_bare")
    );
}

/// Three versions of one enum, for the sync to change the column's check.
mod versions {
    use link_runtime::ColumnEnum;

    /// The first version.
    pub mod one {
        use super::ColumnEnum;
        /// Two variants.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ColumnEnum)]
        pub enum Status {
            /// Shown.
            Active,
            /// Gone.
            Archived,
        }
    }

    /// A variant added.
    pub mod two {
        use super::ColumnEnum;
        /// `Paused` is new.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ColumnEnum)]
        pub enum Status {
            /// Shown.
            Active,
            /// Gone.
            Archived,
            /// New.
            Paused,
        }
    }

    /// `Archived` removed.
    pub mod three {
        use super::ColumnEnum;
        /// `Archived` is gone.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ColumnEnum)]
        pub enum Status {
            /// Shown.
            Active,
            /// New.
            Paused,
        }
    }
}

/// `item_state`'s first version: an enum column.
mod item_state_one {
    use super::versions::one::Status;
    use super::{Item, Label};
    link_runtime::define_link! {
        Item(is_list), Label(is_list),
        database(table = "item_state_one"),
        columns { state: Status = Status::Active, sizes: Vec<i32> = [1, 2] },
    }
}

/// Its second: a variant more.
mod item_state_two {
    use super::versions::two::Status;
    use super::{Item, Label};
    link_runtime::define_link! {
        Item(is_list), Label(is_list),
        database(table = "item_state_two"),
        columns { state: Status = Status::Active, sizes: Vec<i32> = [1, 2] },
    }
}

/// Its third: `archived` gone.
mod item_state_three {
    use super::versions::three::Status;
    use super::{Item, Label};
    link_runtime::define_link! {
        Item(is_list), Label(is_list),
        database(table = "item_state_three"),
        columns { state: Status = Status::Active, sizes: Vec<i32> = [1, 2] },
    }
}

/// The first version with sizes as 64-bit integers.
mod item_state_wide {
    use super::versions::one::Status;
    use super::{Item, Label};
    link_runtime::define_link! {
        Item(is_list), Label(is_list),
        database(table = "item_state_wide"),
        columns { state: Status = Status::Active, sizes: Vec<i64> = [1, 2] },
    }
}

/// `item_state` with `state` as plain text, before it became an enum.
mod item_state_text {
    use super::{Item, Label};
    link_runtime::define_link! {
        Item(is_list), Label(is_list),
        database(table = "item_state_text"),
        columns { state: String = "active", sizes: Vec<i32> = [1, 2] },
    }
}

use item_label::{Columns, Link};

/// A pivot row of `item_label` read from graph JSON with serde, as a typed query reads.
#[derive(Debug, PartialEq, Deserialize)]
struct Labelled {
    item_id: String,
    status: Status,
    previous: Option<Status>,
    tags: Vec<String>,
    sizes: Vec<i32>,
    counts: Option<Vec<i64>>,
    weights: Vec<f64>,
    flags: Option<Vec<bool>>,
}

/// The first row's values: none its column's default, arrays empty and odd.
fn chosen() -> Columns {
    Columns {
        status: Status::Archived,
        previous: None,
        tags: vec![
            "a,b".into(),
            "{brace}".into(),
            "\"quoted\" \\ back".into(),
            String::new(),
            "NULL".into(),
            "ünïcødé".into(),
        ],
        sizes: vec![i32::MIN, 0, i32::MAX],
        counts: Some(Vec::new()),
        weights: vec![1.25, -0.0, 1e300],
        flags: None,
    }
}

fn setup<C: LinkConnection>(conn: &mut C) {
    via::migrate(conn).unwrap();
    let rows = [(Item::id("item_1"), Label::id("label_1"), chosen())];
    Via::<Link>::create_many_with(conn, &rows).unwrap();
    Via::<Link>::create(conn, Item::id("item_2"), Label::id("label_1")).unwrap();
}

/// `L`'s schema, moved onto the table `item_state_probe`: its statements, indexes and
/// column definitions (a check's name holds the table's).
fn probe<L: LinkDefinition>() -> &'static LinkSchema {
    const PROBE: &str = "item_state_probe";
    let schema = L::SCHEMA;
    let moved = |text: &str| -> &'static str { text.replace(schema.table, PROBE).leak() };
    let indexes: Vec<link_runtime::Index> = schema
        .indexes
        .iter()
        .map(|index| link_runtime::Index {
            name: moved(index.name),
            sql: moved(index.sql),
        })
        .collect();
    let columns: Vec<ExtraColumn> = schema
        .columns
        .iter()
        .map(|column| ExtraColumn {
            sqlite_definition: moved(column.sqlite_definition),
            postgres_definition: moved(column.postgres_definition),
            ..*column
        })
        .collect();
    Box::leak(Box::new(LinkSchema {
        table: PROBE,
        indexes: indexes.leak(),
        columns: columns.leak(),
        sqlite_sql: moved(schema.sqlite_sql),
        postgres_sql: moved(schema.postgres_sql),
        ..*schema
    }))
}

/// Syncs `schema` alone, all its actions safe, and checks that a second plan is empty.
fn sync<C: LinkConnection>(conn: &mut C, schema: &'static LinkSchema) {
    let plan = plan_for(conn, &[schema]).unwrap();
    assert!(
        plan.actions().iter().all(|action| action.is_safe()),
        "{plan}"
    );
    apply(conn, &plan, false).unwrap();
    let again = plan_for(conn, &[schema]).unwrap();
    assert!(again.is_empty(), "{again}");
}

/// The `state` and `sizes` of the probe's rows, by item, as text.
fn probe_rows<C: TestSql>(conn: &mut C) -> Vec<Vec<String>> {
    let sizes = match C::DIALECT {
        Dialect::Postgres => "array_to_json(sizes)::text",
        _ => "sizes",
    };
    conn.rows(
        &format!("SELECT item_id, state, {sizes} FROM item_state_probe ORDER BY item_id"),
        &[],
    )
}

/// The action on `column` in `plan`.
fn action_on<'a>(
    plan: &'a link_runtime::migrate::Plan,
    column: &str,
) -> &'a link_runtime::migrate::Action {
    plan.actions()
        .iter()
        .find(|action| match action.kind() {
            ActionKind::AddColumn { column: c }
            | ActionKind::AlterColumn { column: c, .. }
            | ActionKind::ChangeVariants { column: c, .. } => c == column,
            _ => false,
        })
        .unwrap_or_else(|| panic!("no action on `{column}`: {plan}"))
}

link_test_support::backend_tests! {
    drivers;
    helpers {
        /// The rows through the generated diesel table, which declares the enum as `Text`
        /// and the arrays with the runtime's array type.
        fn rows_by_dsl(conn: &mut Conn) -> Vec<item_label::Row> {
            item_label::pivot::table
                .order(item_label::pivot::item_id)
                .select(item_label::Row::as_select())
                .load(conn)
                .expect("rows load through the generated table")
        }
    }

    fn values_and_defaults_survive_list_and_the_generated_table(conn) {
        setup(conn);
        let rows = Via::<Link>::list(conn, &ListFilter::new()).unwrap();
        let columns = |item: &str| {
            let row = rows.iter().find(|row| row.item_id == Item::id(item)).unwrap();
            <Link as LinkDefinition>::row_parts(row).2
        };
        assert_eq!(columns("item_1"), chosen());
        assert_eq!(columns("item_2"), Columns::default());
        let defaults = Columns::default();
        assert_eq!(
            (defaults.status, defaults.previous, defaults.flags),
            (Status::OnHold, Some(Status::Active), Some(vec![true, false]))
        );
        assert_eq!((defaults.tags, defaults.weights), (vec!["new".to_owned(), "it's".to_owned()], vec![0.5, -2.0]));

        let by_dsl = rows_by_dsl(conn);
        assert_eq!(by_dsl.len(), 2);
        assert_eq!(<Link as LinkDefinition>::row_parts(&by_dsl[0]).2, chosen());
        assert_eq!(<Link as LinkDefinition>::row_parts(&by_dsl[1]).2, Columns::default());
    }

    fn graph_json_gives_texts_and_arrays(conn) {
        setup(conn);
        let fields = ["item_id", "status", "previous", "tags", "sizes", "counts", "weights", "flags"];
        let rows = via::graph(conn, Graph::entity(Link::TABLE).fields(fields).order("item_id", Order::Asc))
            .unwrap();
        assert_eq!(
            rows.data,
            [
                json!({
                    "item_id": "item_1",
                    "status": "it's gone",
                    "previous": null,
                    "tags": ["a,b", "{brace}", "\"quoted\" \\ back", "", "NULL", "ünïcødé"],
                    "sizes": [i32::MIN, 0, i32::MAX],
                    "counts": [],
                    "weights": [1.25, -0.0, 1e300],
                    "flags": null,
                }),
                json!({
                    "item_id": "item_2",
                    "status": "on_hold",
                    "previous": "active",
                    "tags": ["new", "it's"],
                    "sizes": [],
                    "counts": null,
                    "weights": [0.5, -2.0],
                    "flags": [true, false],
                }),
            ]
        );

        // What a typed read makes of that JSON: the values written.
        let typed: Vec<Labelled> = rows
            .data
            .into_iter()
            .map(|row| serde_json::from_value(row).unwrap())
            .collect();
        let first = chosen();
        assert_eq!(
            typed[0],
            Labelled {
                item_id: "item_1".into(),
                status: first.status,
                previous: first.previous,
                tags: first.tags,
                sizes: first.sizes,
                counts: first.counts,
                weights: first.weights,
                flags: first.flags,
            }
        );
    }

    fn filters_compare_an_enum_with_its_variants_and_refuse_arrays(conn) {
        setup(conn);
        let mut items = |field: &str, condition: Condition| {
            let graph = Graph::entity(Link::TABLE).fields(["item_id"]).filter(field, condition);
            via::graph(conn, graph).map(|rows| rows.data)
        };
        assert_eq!(items("status", Condition::Eq(json!("on_hold"))).unwrap(), [json!({ "item_id": "item_2" })]);
        assert_eq!(
            items("status", Condition::EqAny(vec![json!("it's gone"), json!("active")])).unwrap(),
            [json!({ "item_id": "item_1" })]
        );
        assert_eq!(items("status", Condition::Like("on%".into())).unwrap(), [json!({ "item_id": "item_2" })]);
        assert_eq!(items("counts", Condition::IsNull).unwrap(), [json!({ "item_id": "item_2" })]);

        let error = items("status", Condition::Eq(json!("paused"))).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidFilter { field, reason, .. }
                if field == "status" && reason.contains("`active`, `on_hold`, `it's gone`")),
            "{error:?}"
        );
        let error = items("tags", Condition::EqAny(vec![json!("new")])).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidFilter { field, reason, .. }
                if field == "tags" && reason.contains("an array compares with nothing but null")),
            "{error:?}"
        );
        let error = items("sizes", Condition::Gt(json!(1))).unwrap_err();
        assert!(matches!(&error, Error::InvalidFilter { field, .. } if field == "sizes"), "{error:?}");
    }

    fn a_row_holding_an_unknown_text_is_a_typed_error(conn) {
        setup(conn);
        // Written past the check, as by a tool that bypassed it.
        let table = Link::TABLE;
        match dialect_of(conn) {
            Dialect::Sqlite => conn.batch_execute("PRAGMA ignore_check_constraints = ON").unwrap(),
            _ => conn
                .batch_execute(&format!("ALTER TABLE {table} DROP CONSTRAINT {table}_status_check"))
                .unwrap(),
        }
        conn.exec(&format!("UPDATE {table} SET status = 'paused' WHERE item_id = 'item_2'"), &[]);
        let error = Via::<Link>::list(conn, &ListFilter::new()).unwrap_err();
        let unknown = match &error {
            Error::Database(diesel::result::Error::DeserializationError(source)) => {
                source.downcast_ref::<link_runtime::UnknownVariant>()
            }
            _ => None,
        };
        assert_eq!(
            unknown.map(ToString::to_string),
            Some(format!(
                "`paused` is not a variant of `{}` (its variants: `active`, `on_hold`, `it's gone`)",
                std::any::type_name::<Status>()
            )),
            "{error:?}"
        );
    }

    fn a_sync_adds_enum_and_array_columns_then_plans_nothing(conn) {
        let bare = probe::<item_label_bare::Link>();
        sync(conn, bare);
        conn.exec("INSERT INTO item_state_probe (id, item_id, label_id) VALUES ('link_1', 'i', 'l')", &[]);

        let full = probe::<Link>();
        let plan = plan_for(conn, &[full]).unwrap();
        let added: Vec<String> = plan
            .actions()
            .iter()
            .filter_map(|action| match action.kind() {
                ActionKind::AddColumn { column } => Some(column.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(added, ["status", "previous", "tags", "sizes", "counts", "weights", "flags"]);
        sync(conn, full);

        // The row that was there has the defaults.
        let tags = match dialect_of(conn) {
            Dialect::Postgres => "array_to_json(tags)::text",
            _ => "tags",
        };
        assert_eq!(
            conn.rows(&format!("SELECT status, previous, {tags} FROM item_state_probe"), &[]),
            [["on_hold", "active", r#"["new","it's"]"#]]
        );
    }

    fn adding_a_variant_is_safe_and_removing_a_held_one_is_not(conn) {
        sync(conn, probe::<item_state_one::Link>());
        conn.exec(
            "INSERT INTO item_state_probe (id, item_id, label_id, state) VALUES ('link_1', 'i1', 'l', 'archived'), ('link_2', 'i2', 'l', 'active')",
            &[],
        );

        // A variant added: the check allows one text more, whatever the rows hold.
        let two = probe::<item_state_two::Link>();
        let plan = plan_for(conn, &[two]).unwrap();
        let change = action_on(&plan, "state");
        assert_eq!(
            change.kind(),
            &ActionKind::ChangeVariants {
                column: "state".into(),
                added: vec!["paused".into()],
                removed: vec![],
            }
        );
        assert!(change.is_safe(), "{plan}");
        assert!(
            change.to_string().ends_with("change the variants of column `state` of `item_state_probe`: adds `paused`"),
            "{change}"
        );
        if dialect_of(conn) == Dialect::Postgres {
            assert_eq!(
                change.up(),
                [
                    r#"ALTER TABLE "item_state_probe" DROP CONSTRAINT "item_state_probe_state_check";"#,
                    r#"ALTER TABLE "item_state_probe" ADD CONSTRAINT "item_state_probe_state_check" CHECK ("state" IN ('active', 'archived', 'paused'));"#,
                ]
            );
        }
        sync(conn, two);
        conn.exec("UPDATE item_state_probe SET state = 'paused' WHERE item_id = 'i2'", &[]);

        // A variant removed while a row holds it: unsafe, and the plan says which.
        let three = probe::<item_state_three::Link>();
        let plan = plan_for(conn, &[three]).unwrap();
        let change = action_on(&plan, "state");
        assert_eq!(
            change.kind(),
            &ActionKind::ChangeVariants {
                column: "state".into(),
                added: vec![],
                removed: vec!["archived".into()],
            }
        );
        let Safety::Unsafe { reason } = change.safety() else {
            panic!("removing a variant a row holds is unsafe: {plan}");
        };
        assert!(
            reason.contains("`item_state_probe` holds values of `state` that its enum no longer has: `archived` (1 row)"),
            "{reason}"
        );
        // Skipped without leave, and refused by the database with it.
        let applied = apply(conn, &plan, false).unwrap();
        assert_eq!(applied.skipped.len(), 2, "{:?}", applied.skipped); // the change, and the record
        assert!(apply(conn, &plan, true).is_err());
        assert_eq!(probe_rows(conn), [["i1", "archived", "[1,2]"], ["i2", "paused", "[1,2]"]]);

        // Once no row holds it, the same change is safe.
        conn.exec("UPDATE item_state_probe SET state = 'active' WHERE item_id = 'i1'", &[]);
        sync(conn, three);
        assert_eq!(probe_rows(conn), [["i1", "active", "[1,2]"], ["i2", "paused", "[1,2]"]]);
    }

    fn text_becomes_an_enum_and_arrays_change_their_elements(conn) {
        sync(conn, probe::<item_state_text::Link>());
        conn.exec(
            "INSERT INTO item_state_probe (id, item_id, label_id, state) VALUES ('link_1', 'i1', 'l', 'active'), ('link_2', 'i2', 'l', 'draft')",
            &[],
        );

        // The text `draft` is no variant: the column cannot take the check.
        let one = probe::<item_state_one::Link>();
        let plan = plan_for(conn, &[one]).unwrap();
        let Safety::Unsafe { reason } = action_on(&plan, "state").safety() else {
            panic!("a text no variant has blocks the check: {plan}");
        };
        assert!(reason.contains("`draft` (1 row)"), "{reason}");
        conn.exec("UPDATE item_state_probe SET state = 'archived' WHERE item_id = 'i2'", &[]);
        sync(conn, one);

        // `Vec<i32>` to `Vec<i64>`: the elements converted, on SQLite in their JSON text.
        let wide = probe::<item_state_wide::Link>();
        let plan = plan_for(conn, &[wide]).unwrap();
        assert!(
            matches!(action_on(&plan, "sizes").kind(), ActionKind::AlterColumn { from, to, .. }
                if from.contains("INTEGER") && to.contains("BIGINT")),
            "{plan}"
        );
        let applied = apply(conn, &plan, true).unwrap();
        assert!(applied.skipped.is_empty(), "{:?}", applied.skipped);
        assert!(plan_for(conn, &[wide]).unwrap().is_empty());
        assert_eq!(probe_rows(conn), [["i1", "active", "[1,2]"], ["i2", "archived", "[1,2]"]]);
    }

    fn an_unrecorded_table_s_array_columns_read_as_their_types(conn) {
        // A table no sync recorded: the plan reads its columns' types from the database,
        // and a dropped array column comes back as the type it had.
        sync(conn, probe::<item_state_one::Link>());
        conn.batch_execute("DELETE FROM link_metadata").unwrap();
        let plan = plan_for(conn, &[probe::<item_label_bare::Link>()]).unwrap();
        let drop = plan
            .actions()
            .iter()
            .find(|action| matches!(action.kind(), ActionKind::DropColumn { column } if column == "sizes"))
            .unwrap_or_else(|| panic!("{plan}"));
        let expected = match dialect_of(conn) {
            Dialect::Postgres => r#"ALTER TABLE "item_state_probe" ADD COLUMN "sizes" integer[];"#,
            _ => r#"ALTER TABLE "item_state_probe" ADD COLUMN "sizes" INTEGER ARRAY;"#,
        };
        assert_eq!(drop.down(), [expected]);
    }
}

fn dialect_of<C: LinkConnection>(_: &C) -> Dialect {
    C::DIALECT
}
