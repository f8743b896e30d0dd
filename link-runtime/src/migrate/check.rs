//! The `CHECK` of an enum column, read back from its definition: the texts it allows and
//! the name PostgreSQL knows it by; and a definition with its names changed, for the copy
//! of a column that replaces it.
//!
//! Definitions are the macro's (`"status" TEXT NOT NULL DEFAULT 'active' CONSTRAINT
//! "t_status_check" CHECK ("status" IN ('active', 'archived'))`), or a recorded one of an
//! earlier sync, which is the macro's too. They are read as tokens, so that a name or a
//! text that holds `CHECK`, a quote or a parenthesis is read as what it is.

use crate::migrate::sql::ident;

/// A token of a definition, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `"name"`, unquoted.
    Ident(String),
    /// `'text'`, unquoted.
    Literal(String),
    /// `(`, `)` or `,`.
    Punct(char),
    /// Anything else between spaces: a keyword, a type, a number.
    Word(String),
}

/// The tokens of `sql`.
fn scan(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let kind = match bytes[at] {
            b' ' | b'\n' | b'\t' | b'\r' => {
                at += 1;
                continue;
            }
            quote @ (b'"' | b'\'') => {
                let mut text = String::new();
                at += 1;
                let mut from = at;
                while at < bytes.len() {
                    if bytes[at] == quote {
                        text.push_str(&sql[from..at]);
                        if bytes.get(at + 1) == Some(&quote) {
                            text.push(quote as char);
                            at += 2;
                            from = at;
                            continue;
                        }
                        break;
                    }
                    at += 1;
                }
                at = (at + 1).min(bytes.len());
                match quote {
                    b'"' => Kind::Ident(text),
                    _ => Kind::Literal(text),
                }
            }
            c @ (b'(' | b')' | b',') => {
                at += 1;
                Kind::Punct(c as char)
            }
            _ => {
                while at < bytes.len() && !b" \n\t\r\"'(),".contains(&bytes[at]) {
                    at += 1;
                }
                Kind::Word(sql[start..at].to_owned())
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: at,
        });
    }
    tokens
}

/// The `CHECK (column IN (..))` of a column definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    /// The constraint's name (PostgreSQL's definitions name it).
    pub constraint: Option<String>,
    /// The texts it allows, in order.
    pub values: Vec<String>,
    /// Where the check starts in the definition (at `CONSTRAINT`, if it is named).
    start: usize,
    /// Where the `CHECK` keyword starts.
    check_at: usize,
}

impl Check {
    /// The check of `definition`, if it has one of the macro's form.
    pub fn of(definition: &str) -> Option<Check> {
        let tokens = scan(definition);
        let word = |token: Option<&Token>, expected: &str| matches!(token, Some(Token { kind: Kind::Word(word), .. }) if word.eq_ignore_ascii_case(expected));
        let punct = |token: Option<&Token>, expected: char| matches!(token, Some(Token { kind: Kind::Punct(c), .. }) if *c == expected);
        let at = tokens
            .iter()
            .position(|token| word(Some(token), "CONSTRAINT") || word(Some(token), "CHECK"))?;
        let (constraint, check) = match &tokens[at].kind {
            Kind::Word(_) if word(tokens.get(at), "CONSTRAINT") => match tokens.get(at + 1) {
                Some(Token {
                    kind: Kind::Ident(name),
                    ..
                }) => (Some(name.clone()), at + 2),
                _ => return None,
            },
            _ => (None, at),
        };
        if !word(tokens.get(check), "CHECK")
            || !punct(tokens.get(check + 1), '(')
            || !matches!(
                tokens.get(check + 2),
                Some(Token {
                    kind: Kind::Ident(_),
                    ..
                })
            )
            || !word(tokens.get(check + 3), "IN")
            || !punct(tokens.get(check + 4), '(')
        {
            return None;
        }
        let mut values = Vec::new();
        let mut next = check + 5;
        loop {
            match tokens.get(next).map(|token| &token.kind) {
                Some(Kind::Literal(text)) => values.push(text.clone()),
                _ => return None,
            }
            next += 1;
            if punct(tokens.get(next), ',') {
                next += 1;
                continue;
            }
            break;
        }
        if !punct(tokens.get(next), ')') || !punct(tokens.get(next + 1), ')') {
            return None;
        }
        Some(Check {
            constraint,
            values,
            start: tokens[at].start,
            check_at: tokens[check].start,
        })
    }

    /// `definition` without its check: its name, type, nullability and default.
    pub fn strip<'a>(&self, definition: &'a str) -> &'a str {
        definition[..self.start].trim_end()
    }

    /// The check itself, `CHECK ("status" IN ('active', 'archived'))`: what
    /// `ALTER TABLE .. ADD CONSTRAINT` takes.
    pub fn clause<'a>(&self, definition: &'a str) -> &'a str {
        definition[self.check_at..].trim_end()
    }
}

/// `definition` with each quoted name `from` written as `to`: the column's own name and
/// the one in its check, or its constraint's name. Texts in quotes `'..'` are left as
/// they are.
pub(crate) fn renamed(definition: &str, renames: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(definition.len() + 8);
    let mut copied = 0;
    for token in scan(definition) {
        let Kind::Ident(name) = &token.kind else {
            continue;
        };
        if let Some((_, to)) = renames.iter().find(|(from, _)| from == name) {
            out.push_str(&definition[copied..token.start]);
            out.push_str(&ident(to));
            copied = token.end;
        }
    }
    out.push_str(&definition[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTGRES: &str = r#""status" TEXT NOT NULL DEFAULT 'it''s' CONSTRAINT "t_status_check" CHECK ("status" IN ('it''s', 'a "b"', 'CHECK (x)'))"#;

    #[test]
    fn a_check_is_read_whatever_its_texts_hold() {
        let check = Check::of(POSTGRES).unwrap();
        assert_eq!(check.constraint.as_deref(), Some("t_status_check"));
        assert_eq!(check.values, ["it's", r#"a "b""#, "CHECK (x)"]);
        assert_eq!(
            check.strip(POSTGRES),
            r#""status" TEXT NOT NULL DEFAULT 'it''s'"#
        );
        assert_eq!(
            check.clause(POSTGRES),
            r#"CHECK ("status" IN ('it''s', 'a "b"', 'CHECK (x)'))"#
        );

        let sqlite = r#""status" TEXT CHECK ("status" IN ('a'))"#;
        let check = Check::of(sqlite).unwrap();
        assert_eq!(
            (check.constraint, check.values),
            (None, vec!["a".to_owned()])
        );
        assert_eq!(
            Check::of(r#""note" TEXT DEFAULT 'CHECK ("x" IN (''a''))'"#),
            None
        );
        assert_eq!(Check::of(r#""n" INTEGER NOT NULL DEFAULT 0"#), None);
    }

    #[test]
    fn renaming_changes_names_and_leaves_texts() {
        assert_eq!(
            renamed(
                POSTGRES,
                &[
                    ("status", "status__new"),
                    ("t_status_check", "t_status_check__new")
                ]
            ),
            r#""status__new" TEXT NOT NULL DEFAULT 'it''s' CONSTRAINT "t_status_check__new" CHECK ("status__new" IN ('it''s', 'a "b"', 'CHECK (x)'))"#
        );
        assert_eq!(
            renamed(r#""a""b" TEXT DEFAULT '"a""b"'"#, &[(r#"a"b"#, "c")]),
            r#""c" TEXT DEFAULT '"a""b"'"#
        );
    }
}
