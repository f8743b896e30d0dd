//! Writing names and values into the literal SQL of a plan.
//!
//! A plan is SQL a person reviews and may save as a migration file, so its statements are
//! complete text rather than statements with bound parameters. Every name goes through
//! [`ident`] and every value through [`literal`], which is what makes that safe: a name
//! read back from the database (a table recorded by an earlier sync) cannot end the quoted
//! identifier it is written into.

/// `name` as a quoted SQL identifier: `"name"`, with any `"` doubled.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a SQL string literal: `'text'`, with any `'` doubled.
pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A one-line SQL comment: `-- text`, with any line break or other control character in
/// `text` (a name read back from the database may hold one) escaped, so that nothing after
/// it can become a statement.
pub(crate) fn comment(text: impl std::fmt::Display) -> String {
    let mut line = String::from("-- ");
    for c in text.to_string().chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

/// 64-bit FNV-1a: a hash that is the same on every build and platform, unlike std's.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The type in a column definition such as `"note" TEXT NOT NULL DEFAULT 'x'`: `TEXT`
/// (`TEXT[]`, `TEXT ARRAY`; an enum column's `TEXT`, before its check).
pub(crate) fn column_type(definition: &str) -> &str {
    let rest = match definition.strip_prefix('"') {
        // Skip the quoted name, whose quotes inside are doubled.
        Some(quoted) => {
            let mut end = 0;
            let bytes = quoted.as_bytes();
            while end < bytes.len() {
                if bytes[end] == b'"' {
                    if bytes.get(end + 1) == Some(&b'"') {
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
            quoted.get(end + 1..).unwrap_or("")
        }
        None => definition.split_once(' ').map_or("", |(_, rest)| rest),
    };
    let rest = rest.trim_start();
    let end = [" NOT NULL", " DEFAULT ", " NULL", " CONSTRAINT ", " CHECK "]
        .iter()
        .filter_map(|keyword| rest.find(keyword))
        .min()
        .unwrap_or(rest.len());
    rest[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_cannot_escape_their_quotes() {
        assert_eq!(
            ident(r#"a"; DROP TABLE x; --"#),
            r#""a""; DROP TABLE x; --""#
        );
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(comment("a\nDROP TABLE x;"), "-- a\\nDROP TABLE x;");
    }

    #[test]
    fn column_types_are_read_from_definitions() {
        assert_eq!(column_type(r#""note" TEXT"#), "TEXT");
        assert_eq!(
            column_type(r#""rank" DOUBLE PRECISION NOT NULL DEFAULT 1.5"#),
            "DOUBLE PRECISION"
        );
        assert_eq!(column_type(r#""a "" b" BIGINT DEFAULT 0"#), "BIGINT");
        assert_eq!(column_type(r#""s" TEXT CHECK ("s" IN ('a'))"#), "TEXT");
        assert_eq!(
            column_type(r#""s" TEXT NOT NULL CONSTRAINT "c" CHECK ("s" IN ('a'))"#),
            "TEXT"
        );
        assert_eq!(
            column_type(r#""tags" TEXT ARRAY NOT NULL DEFAULT '[]'"#),
            "TEXT ARRAY"
        );
        assert_eq!(
            column_type(r#""tags" DOUBLE PRECISION[]"#),
            "DOUBLE PRECISION[]"
        );
    }

    #[test]
    fn fnv1a_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
