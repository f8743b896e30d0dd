//! Keyset cursors: where a page of a graph query ended, as an opaque string a client hands
//! back ([`Graph::after`]), signed so that the client cannot make one the query did not;
//! and [`CursorKey`], what signs them.
//!
//! A cursor's text is base64url (no padding) of a version byte, a tag, and the values of
//! the page's last row (one per order key, then its primary key, as JSON), enciphered.
//! The tag is an HMAC-SHA-256 over the version, the query's fingerprint and the values;
//! the values are enciphered by XOR with HMAC-SHA-256 in counter mode from the tag (the
//! SIV construction: the tag is the cipher's IV, so a cursor is the same for the same
//! query and row, and nothing else shows). The fingerprint is a SHA-256 of what decides
//! which rows a query answers and in what order (its entity, filters, order,
//! `with_deleted`): it is not in the text, so a cursor is valid for the query that made it
//! and no other, and nothing in it can be read or changed without the key. The values are
//! enciphered because a scope may keep the primary key from a client that pages.

use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::graph::filter::{Condition, Filter, Order};
use crate::graph::nested::Nested;
use crate::graph::request::Graph;

/// The longest cursor, in bytes of its text: a cursor is refused past it before anything
/// in it is read, and a page whose last row's values would not fit it fails (order by
/// shorter fields).
pub(crate) const MAX_CURSOR_LEN: usize = 4096;

/// The cursor format's version, first in its bytes and in what its tag signs.
const VERSION: u8 = 1;

/// The length of an HMAC-SHA-256 tag.
const TAG_LEN: usize = 32;

/// What a query's cursors are signed over: a digest of what decides its rows and their
/// order.
pub(crate) type Fingerprint = [u8; 32];

/// The key graph cursors are signed with ([`Graph::after`],
/// [`Metadata::next_cursor`](crate::graph::Metadata::next_cursor)).
///
/// A process draws one at random the first time it makes or reads a cursor, so cursors
/// are valid for the process that made them, and no longer than it runs. Servers that
/// share clients (several behind a load balancer, or one that restarts while clients
/// page) set the same key in each, from a secret of at least 32 random bytes, before they
/// serve:
///
/// ```
/// use link_runtime::graph::CursorKey;
///
/// // In each server, from its configuration (here, 32 bytes written as 64 hex digits).
/// let secret = "4d9c0f3a8e7b61d2c5a49f0e3b8d7c6a1f2e3d4c5b6a79881726354453627180";
/// let bytes: Vec<u8> = (0..secret.len())
///     .step_by(2)
///     .map(|i| u8::from_str_radix(&secret[i..i + 2], 16).unwrap())
///     .collect();
/// CursorKey::set(CursorKey::new(bytes));
/// ```
///
/// A new key invalidates the cursors the old one signed: a client holding one gets
/// [`Error::InvalidCursor`] and starts again from the first page.
#[derive(Clone)]
pub struct CursorKey {
    keys: Arc<Keys>,
}

/// The two keys a secret gives: one for the tag, one for the cipher.
struct Keys {
    tag: [u8; 32],
    cipher: [u8; 32],
}

/// The process's key, once one is drawn or set.
static KEY: RwLock<Option<CursorKey>> = RwLock::new(None);

impl CursorKey {
    /// A key of `secret`'s bytes. Give it at least 32 random bytes: the key is only as
    /// hard to guess as they are.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        let derive = |purpose: &[u8]| -> [u8; 32] {
            let mut mac = hmac(secret.as_ref());
            mac.update(b"link-runtime graph cursor: ");
            mac.update(purpose);
            mac.finalize().into_bytes().into()
        };
        CursorKey {
            keys: Arc::new(Keys {
                tag: derive(b"tag"),
                cipher: derive(b"cipher"),
            }),
        }
    }

    /// A key of 32 bytes from the operating system's random source, as the process draws
    /// by default.
    ///
    /// # Panics
    ///
    /// If the operating system gives no random bytes.
    pub fn random() -> Self {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("the operating system gives random bytes");
        CursorKey::new(secret)
    }

    /// Makes `key` the key this process signs and checks cursors with, from now on.
    pub fn set(key: CursorKey) {
        *KEY.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(key);
    }

    /// The process's key: the one [`set`](Self::set), or else one drawn at random now
    /// and kept.
    fn current() -> CursorKey {
        if let Some(key) = &*KEY.read().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            return key.clone();
        }
        KEY.write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get_or_insert_with(CursorKey::random)
            .clone()
    }

    /// The tag of a cursor of the query `fingerprint` holding `payload`.
    fn tag(&self, fingerprint: &Fingerprint, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = hmac(&self.keys.tag);
        mac.update(&[VERSION]);
        mac.update(fingerprint);
        mac.update(payload);
        mac
    }

    /// `bytes` XORed with the key stream of `iv`: HMAC-SHA-256 of the IV and a block
    /// counter, block by block. Enciphers, and deciphers.
    fn cipher(&self, iv: &[u8], bytes: &mut [u8]) {
        for (block, chunk) in bytes.chunks_mut(TAG_LEN).enumerate() {
            let mut mac = hmac(&self.keys.cipher);
            mac.update(iv);
            mac.update(&u32::try_from(block).unwrap_or(u32::MAX).to_be_bytes());
            let stream = mac.finalize().into_bytes();
            for (byte, key) in chunk.iter_mut().zip(stream.iter()) {
                *byte ^= key;
            }
        }
    }
}

/// HMAC-SHA-256 keyed with `key`.
fn hmac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length")
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is never shown.
        f.write_str("CursorKey(..)")
    }
}

/// The fingerprint of `graph`, whose entity resolved to `entity` (a model's module and
/// name, or a link's table): what its cursors are signed over. Its fields, page size and
/// options are left out: they change neither which rows it answers nor their order.
pub(crate) fn fingerprint(entity: &str, graph: &Graph) -> Fingerprint {
    let order: Vec<Value> = graph
        .order
        .iter()
        .map(|(path, order)| {
            json!([
                path,
                match order {
                    Order::Asc => "asc",
                    Order::Desc => "desc",
                }
            ])
        })
        .collect();
    let described = json!([
        entity,
        filters(&graph.filters),
        order,
        graph.with_deleted,
        graph.text_values,
        nested_filters(&graph.nested),
    ]);
    let bytes = serde_json::to_vec(&described).expect("a JSON value serializes");
    Sha256::digest(bytes).into()
}

/// The filters of [`Nested`] entries, which say what the query's counts count (and so
/// what a filter or an order by a count means), by link field; their pages change no row
/// of the query's own.
fn nested_filters(entries: &[(String, Nested)]) -> Value {
    let described = entries
        .iter()
        .filter(|(_, entry)| !entry.filters.is_empty() || !entry.nested.is_empty())
        .map(|(field, entry)| {
            json!([
                field,
                filters(&entry.filters),
                nested_filters(&entry.nested)
            ])
        })
        .collect();
    sorted(described)
}

/// Filters that all hold, as JSON that tells every two different sets of filters apart
/// and none of those written differently for the same rows: nested `And`s flattened, and
/// sorted, as the alternatives of an `Or` are (their order changes no row).
fn filters(filters: &[Filter]) -> Value {
    fn conjuncts(filters: &[Filter], out: &mut Vec<Value>) {
        for filter in filters {
            match filter {
                Filter::And(inner) => conjuncts(inner, out),
                other => out.push(self::filter(other)),
            }
        }
    }
    let mut described = Vec::new();
    conjuncts(filters, &mut described);
    sorted(described)
}

/// One filter: an `And` of one filter is that filter.
fn filter(filter: &Filter) -> Value {
    match filter {
        Filter::Field { path, condition } => json!(["field", path, self::condition(condition)]),
        Filter::And(inner) => match filters(inner) {
            Value::Array(mut all) if all.len() == 1 => all.pop().expect("one filter"),
            all => json!(["and", all]),
        },
        Filter::Or(inner) if inner.len() == 1 => self::filter(&inner[0]),
        Filter::Or(inner) => json!(["or", sorted(inner.iter().map(self::filter).collect())]),
        Filter::Linked {
            path,
            quantifier,
            filters: inner,
        } => json!(["linked", path, quantifier.operator(), filters(inner)]),
    }
}

fn sorted(mut described: Vec<Value>) -> Value {
    described.sort_by_cached_key(Value::to_string);
    Value::Array(described)
}

fn condition(condition: &Condition) -> Value {
    match condition {
        Condition::Eq(value) => json!(["$eq", value]),
        Condition::Ne(value) => json!(["$ne", value]),
        Condition::Gt(value) => json!(["$gt", value]),
        Condition::Ge(value) => json!(["$gte", value]),
        Condition::Lt(value) => json!(["$lt", value]),
        Condition::Le(value) => json!(["$lte", value]),
        Condition::EqAny(values) => json!(["$in", values]),
        Condition::NeAll(values) => json!(["$nin", values]),
        Condition::Like(pattern) => json!(["$like", pattern]),
        Condition::ILike(pattern) => json!(["$ilike", pattern]),
        Condition::IsNull => json!(["$null"]),
        Condition::IsNotNull => json!(["$notnull"]),
    }
}

/// The cursor of the query `fingerprint` after the row whose order keys and primary key
/// hold `values`.
///
/// # Errors
///
/// [`Error::InvalidOrder`] naming `path` (the order's first key) when the values make a
/// cursor longer than [`MAX_CURSOR_LEN`].
pub(crate) fn seal(
    fingerprint: &Fingerprint,
    values: &[Value],
    entity: &str,
    path: &str,
) -> Result<String> {
    let mut payload = serde_json::to_vec(values).expect("JSON values serialize");
    let key = CursorKey::current();
    let tag = key.tag(fingerprint, &payload).finalize().into_bytes();
    key.cipher(&tag, &mut payload);
    let mut bytes = Vec::with_capacity(1 + TAG_LEN + payload.len());
    bytes.push(VERSION);
    bytes.extend_from_slice(&tag);
    bytes.extend_from_slice(&payload);
    let cursor = URL_SAFE_NO_PAD.encode(bytes);
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(Error::InvalidOrder {
            entity: entity.to_owned(),
            path: path.to_owned(),
            reason: format!(
                "the page's last row orders by values that take {} bytes as a cursor, more \
                 than the {MAX_CURSOR_LEN} a cursor may hold: order by shorter fields",
                cursor.len()
            ),
        });
    }
    Ok(cursor)
}

/// The values a cursor of the query `fingerprint` holds: `keys` of them, those of its
/// order keys and then of its primary key.
///
/// # Errors
///
/// [`Error::InvalidCursor`] when the cursor is too long (checked before anything else),
/// is not base64url, is not of this version, or was not signed for this query with this
/// process's key.
pub(crate) fn open(cursor: &str, fingerprint: &Fingerprint, keys: usize) -> Result<Vec<Value>> {
    let invalid = |reason: String| Error::InvalidCursor { reason };
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(invalid(format!(
            "{} bytes; a cursor is at most {MAX_CURSOR_LEN}",
            cursor.len()
        )));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid("it is not base64url text without padding".to_owned()))?;
    let Some((&version, rest)) = bytes.split_first() else {
        return Err(invalid("it is empty".to_owned()));
    };
    if version != VERSION {
        return Err(invalid(format!(
            "a cursor of version {version}, not {VERSION}"
        )));
    }
    if rest.len() < TAG_LEN {
        return Err(invalid("it is cut short".to_owned()));
    }
    let (tag, payload) = rest.split_at(TAG_LEN);
    let mut payload = payload.to_vec();
    let key = CursorKey::current();
    key.cipher(tag, &mut payload);
    key.tag(fingerprint, &payload)
        .verify_slice(tag)
        .map_err(|_| {
            invalid(
                "it was not made by this query (its entity, filters, order and with_deleted) \
                 on a server that shares this one's cursor key, or it was changed since"
                    .to_owned(),
            )
        })?;
    // Signed by this process's key over this query: made by `seal`, so it reads.
    let values: Vec<Value> = serde_json::from_slice(&payload)
        .map_err(|_| invalid("its values are not a JSON array".to_owned()))?;
    if values.len() != keys {
        return Err(invalid(format!(
            "it holds {} values; the query orders by {keys} keys, its primary key included",
            values.len()
        )));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> Graph {
        Graph::entity("product").order("title", Order::Asc)
    }

    #[test]
    fn a_cursor_opens_for_its_query_only() {
        let values = [json!("Lamp"), json!("p1")];
        let print = fingerprint("product.product", &query());
        let cursor = seal(&print, &values, "product", "title").unwrap();
        assert_eq!(open(&cursor, &print, 2).unwrap(), values);
        // Fields and the page size are not the query's rows: the same fingerprint.
        let paged = query().fields(["id"]).take(5).skip(0);
        assert_eq!(fingerprint("product.product", &paged), print);
        for other in [
            query().order("id", Order::Desc),
            query().filter("title", "Lamp"),
            query().with_deleted(),
            Graph::entity("product").order("title", Order::Desc),
        ] {
            let other = fingerprint("product.product", &other);
            assert_ne!(other, print);
            assert!(matches!(
                open(&cursor, &other, 2),
                Err(Error::InvalidCursor { .. })
            ));
        }
        assert_ne!(fingerprint("brand.product", &query()), print);
        // Filters that all must hold, in another order: the same rows, the same cursors.
        let both = |first: Filter, second: Filter| {
            fingerprint(
                "product.product",
                &query().filter_by(first).filter_by(second),
            )
        };
        let (a, b) = (Filter::field("title", "Lamp"), Filter::field("id", "p1"));
        assert_eq!(both(a.clone(), b.clone()), both(b.clone(), a.clone()));
        // Alternatives likewise, and an `And` of one filter is that filter.
        let or = |alternatives: Vec<Filter>| {
            fingerprint(
                "product.product",
                &query().filter_by(Filter::or(alternatives)),
            )
        };
        assert_eq!(
            or(vec![a.clone(), b.clone()]),
            or(vec![Filter::and([b.clone()]), a.clone()])
        );
        assert_ne!(or(vec![a.clone(), b.clone()]), both(a, b));
    }

    #[test]
    fn a_cursor_shows_none_of_its_values() {
        let print = fingerprint("product.product", &query());
        let cursor = seal(
            &print,
            &[json!("Lamp"), json!("prod_secret")],
            "product",
            "title",
        )
        .unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let shown = String::from_utf8_lossy(&bytes);
        assert!(
            !shown.contains("Lamp") && !shown.contains("secret"),
            "{shown}"
        );
        // The same row of the same query: the same cursor.
        assert_eq!(
            seal(
                &print,
                &[json!("Lamp"), json!("prod_secret")],
                "product",
                "title"
            )
            .unwrap(),
            cursor
        );
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let print = fingerprint("product.product", &query());
        let cursor = seal(&print, &[json!(null), json!("p1")], "product", "title").unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            let changed = URL_SAFE_NO_PAD.encode(changed);
            assert!(
                matches!(open(&changed, &print, 2), Err(Error::InvalidCursor { .. })),
                "byte {i}"
            );
        }
        let short = &cursor[..cursor.len() - 2];
        assert!(matches!(
            open(short, &print, 2),
            Err(Error::InvalidCursor { .. })
        ));
        let long = "A".repeat(MAX_CURSOR_LEN + 1);
        assert!(
            matches!(open(&long, &print, 2), Err(Error::InvalidCursor { reason }) if reason.contains("at most"))
        );
    }

    #[test]
    fn a_row_too_long_for_a_cursor_is_an_order_error() {
        let print = fingerprint("product.product", &query());
        let long = json!("x".repeat(MAX_CURSOR_LEN));
        assert!(matches!(
            seal(&print, &[long, json!("p1")], "product", "title"),
            Err(Error::InvalidOrder { path, .. }) if path == "title"
        ));
    }
}
