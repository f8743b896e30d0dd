//! SQL text put together at compile time, for the statements of a link whose parts no one
//! macro sees whole: `define_link!` writes a column of an enum type, and only the enum's
//! derive knows its variants. The expansion lists the parts; these `const fn`s join them
//! into the `&'static str` the link's schema holds, as if the macro had written it.
//!
//! ```
//! use link_runtime::__private::{sql_bytes, sql_len, sql_text, SqlPart};
//!
//! const PARTS: &[SqlPart] = &[
//!     SqlPart::Text("CHECK (\"status\" IN ("),
//!     SqlPart::Literals(&["active", "it's"]),
//!     SqlPart::Text(")) DEFAULT "),
//!     SqlPart::Variant { texts: &["active", "it's"], discriminants: &[0, 7], value: 7 },
//! ];
//! const BYTES: [u8; sql_len(PARTS)] = sql_bytes(PARTS);
//! const SQL: &str = sql_text(&BYTES);
//! assert_eq!(SQL, r#"CHECK ("status" IN ('active', 'it''s')) DEFAULT 'it''s'"#);
//! ```

/// A part of a statement.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum SqlPart {
    /// Text, as it is.
    Text(&'static str),
    /// Each text as a SQL string literal (`'` doubled), comma separated: `'a', 'b'`.
    Literals(&'static [&'static str]),
    /// The text at the position of `value` in `discriminants`, as a SQL string literal: an
    /// enum's variant, found by its discriminant.
    Variant {
        /// The variants' texts.
        texts: &'static [&'static str],
        /// Their discriminants, in the same order.
        discriminants: &'static [i128],
        /// The variant's discriminant.
        value: i128,
    },
}

/// The length in bytes of the text of `parts`.
#[doc(hidden)]
pub const fn sql_len(parts: &[SqlPart]) -> usize {
    render(parts, &mut [], false)
}

/// The text of `parts`, whose length is `N` ([`sql_len`]).
#[doc(hidden)]
pub const fn sql_bytes<const N: usize>(parts: &[SqlPart]) -> [u8; N] {
    let mut out = [0; N];
    let written = render(parts, &mut out, true);
    assert!(written == N, "sql_bytes: N is not the parts' length");
    out
}

/// `bytes` ([`sql_bytes`]) as text: they are UTF-8, joined from whole `str`s.
#[doc(hidden)]
pub const fn sql_text(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("sql_text: the parts of a statement are text"),
    }
}

/// Writes the text of `parts` into `out` when `write`, and returns its length either way.
const fn render(parts: &[SqlPart], out: &mut [u8], write: bool) -> usize {
    let mut at = 0;
    let mut i = 0;
    while i < parts.len() {
        match parts[i] {
            SqlPart::Text(text) => at = push(out, write, at, text.as_bytes(), false),
            SqlPart::Literals(texts) => {
                let mut j = 0;
                while j < texts.len() {
                    if j > 0 {
                        at = push(out, write, at, b", ", false);
                    }
                    at = literal(out, write, at, texts[j]);
                    j += 1;
                }
            }
            SqlPart::Variant {
                texts,
                discriminants,
                value,
            } => {
                let mut j = 0;
                while j < discriminants.len() && discriminants[j] != value {
                    j += 1;
                }
                assert!(
                    j < texts.len(),
                    "the default is not a variant of the column's enum"
                );
                at = literal(out, write, at, texts[j]);
            }
        }
        i += 1;
    }
    at
}

/// `'text'`, with `'` doubled.
const fn literal(out: &mut [u8], write: bool, at: usize, text: &str) -> usize {
    let at = push(out, write, at, b"'", false);
    let at = push(out, write, at, text.as_bytes(), true);
    push(out, write, at, b"'", false)
}

/// Writes `bytes` at `at` (each `'` twice when `double_quotes`); returns where they end.
const fn push(
    out: &mut [u8],
    write: bool,
    mut at: usize,
    bytes: &[u8],
    double_quotes: bool,
) -> usize {
    let mut i = 0;
    while i < bytes.len() {
        let copies = if double_quotes && bytes[i] == b'\'' {
            2
        } else {
            1
        };
        let mut c = 0;
        while c < copies {
            if write {
                out[at] = bytes[i];
            }
            at += 1;
            c += 1;
        }
        i += 1;
    }
    at
}
