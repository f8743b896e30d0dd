//! Changing a column's definition the one way both backends allow: a new column, defined
//! as wanted, is filled from the old one with its values converted, then takes its place.
//! (SQLite cannot alter a column's type, default or check in place.)

use crate::dialect::Dialect;
use crate::migrate::check::{renamed, Check};
use crate::migrate::sql::{column_type, fnv1a, ident};

/// The statements that replace `column` of `table` (quoted), defined as `from`, by one
/// defined as `to`, its values converted. A named check (PostgreSQL's) comes out under its
/// own name again.
pub(crate) fn replace_column(
    dialect: Dialect,
    table: &str,
    column: &str,
    from: &str,
    to: &str,
) -> Vec<String> {
    let new = temporary(column);
    let constraint = Check::of(to).and_then(|check| check.constraint);
    let mut renames = vec![(column, new.as_str())];
    let constraint = constraint.map(|name| {
        let temporary = temporary(&name);
        (name, temporary)
    });
    if let Some((name, temporary)) = &constraint {
        renames.push((name.as_str(), temporary.as_str()));
    }
    let (old_name, new_name) = (ident(column), ident(&new));
    let mut statements = vec![
        format!("ALTER TABLE {table} ADD COLUMN {};", renamed(to, &renames)),
        format!(
            "UPDATE {table} SET {new_name} = {};",
            converted(dialect, &old_name, column_type(from), column_type(to))
        ),
        format!("ALTER TABLE {table} DROP COLUMN {old_name};"),
        format!("ALTER TABLE {table} RENAME COLUMN {new_name} TO {old_name};"),
    ];
    if let Some((name, temporary)) = constraint {
        statements.push(format!(
            "ALTER TABLE {table} RENAME CONSTRAINT {} TO {};",
            ident(&temporary),
            ident(&name)
        ));
    }
    statements
}

/// The value of `old` (a quoted column of the type `from`) as one of the type `to`.
///
/// A cast, but for an array on SQLite, which is JSON text: each element is cast to the new
/// element type and the array made again (a cast of the text to `INTEGER ARRAY` would read
/// it as a number), and one of the same type is copied as it is.
fn converted(dialect: Dialect, old: &str, from: &str, to: &str) -> String {
    let element = match dialect {
        Dialect::Sqlite => to.strip_suffix(" ARRAY"),
        Dialect::Postgres => None,
    };
    match element {
        Some(_) if from == to => old.to_owned(),
        Some(element) => {
            let value = match element {
                "BOOLEAN" => "CASE WHEN value THEN json('true') ELSE json('false') END",
                "INTEGER" | "BIGINT" => "CAST(value AS INTEGER)",
                "DOUBLE" => "CAST(value AS REAL)",
                _ => "CAST(value AS TEXT)",
            };
            format!(
                "CASE WHEN {old} IS NULL THEN NULL ELSE \
                 (SELECT json_group_array({value} ORDER BY key) FROM json_each({old})) END"
            )
        }
        None => format!("CAST({old} AS {to})"),
    }
}

/// The name of the column (or constraint) that stands in for `name` until it takes its
/// place: `{name}__new`, or a name made from a hash of `name` where that would be longer
/// than PostgreSQL keeps (63 bytes), which would cut it back to `name` itself.
fn temporary(name: &str) -> String {
    const MAX: usize = 63;
    let readable = format!("{name}__new");
    if readable.len() <= MAX {
        readable
    } else {
        format!("link_new_{:016x}", fnv1a(name.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_column_never_takes_the_name_it_replaces() {
        assert_eq!(temporary("title"), "title__new");
        let longest = "c".repeat(63);
        let temporary_name = temporary(&longest);
        assert!(temporary_name.len() <= 63, "{temporary_name}");
        assert_ne!(&temporary_name[..temporary_name.len().min(63)], longest);
        assert_eq!(temporary_name, temporary(&longest), "stable across runs");
    }

    #[test]
    fn a_named_check_is_renamed_with_its_column() {
        let from = r#""status" TEXT NOT NULL DEFAULT 'a' CONSTRAINT "t_status_check" CHECK ("status" IN ('a'))"#;
        let to = r#""status" TEXT NOT NULL DEFAULT 'b' CONSTRAINT "t_status_check" CHECK ("status" IN ('a', 'b'))"#;
        assert_eq!(
            replace_column(Dialect::Postgres, r#""t""#, "status", from, to),
            [
                r#"ALTER TABLE "t" ADD COLUMN "status__new" TEXT NOT NULL DEFAULT 'b' CONSTRAINT "t_status_check__new" CHECK ("status__new" IN ('a', 'b'));"#,
                r#"UPDATE "t" SET "status__new" = CAST("status" AS TEXT);"#,
                r#"ALTER TABLE "t" DROP COLUMN "status";"#,
                r#"ALTER TABLE "t" RENAME COLUMN "status__new" TO "status";"#,
                r#"ALTER TABLE "t" RENAME CONSTRAINT "t_status_check__new" TO "t_status_check";"#,
            ]
        );
    }

    #[test]
    fn sqlite_arrays_are_converted_element_by_element() {
        let old = r#""sizes""#;
        assert_eq!(
            converted(Dialect::Sqlite, old, "INTEGER ARRAY", "INTEGER ARRAY"),
            old
        );
        assert_eq!(
            converted(Dialect::Sqlite, old, "INTEGER ARRAY", "TEXT ARRAY"),
            r#"CASE WHEN "sizes" IS NULL THEN NULL ELSE (SELECT json_group_array(CAST(value AS TEXT) ORDER BY key) FROM json_each("sizes")) END"#
        );
        assert_eq!(
            converted(Dialect::Postgres, old, "INTEGER[]", "BIGINT[]"),
            r#"CAST("sizes" AS BIGINT[])"#
        );
    }
}
