//! A graph query read from a URL's query string, as Medusa's store API takes one:
//! `fields=id,title,*brand&brand[name]=Acme&limit=12&offset=0&order=-title`.

use serde_json::{Map, Value};

use super::request::{EntityName, Graph};
#[cfg(feature = "axum")]
use crate::entity::EntitySchema;
use crate::error::{Error, Result};

/// The keys that are not filters.
const RESERVED: [&str; 6] = [
    "fields",
    "limit",
    "offset",
    "order",
    "after",
    "with_deleted",
];

impl Graph {
    /// Reads a query of `entity` from a URL's query string (without the `?`), in the form
    /// of Medusa's store API:
    ///
    /// - `fields=id,title,brand.*`: the fields to read, comma-separated (the parameter may
    ///   come more than once). `*brand` is `brand.*`, and `+title` is `title`.
    /// - `limit=12`, `offset=24`: the page ([`take`](Graph::take), [`skip`](Graph::skip)).
    /// - `order=title,-created_at`: the order, `-` for descending.
    /// - `after=<cursor>`: the page after the one whose
    ///   [`next_cursor`](crate::graph::Metadata::next_cursor) it is ([`after`](Graph::after);
    ///   a cursor is URL-safe as it is).
    /// - `with_deleted=true`.
    /// - Any other key is a filter: `title=Kettle`; `brand[name]=Acme` through a link;
    ///   `id[]=a&id[]=b` (or `id=a&id=b`) for a list; `price[$gte]=10` with an operator of
    ///   [`Graph::from_json`]'s (`$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$in`, `$nin`,
    ///   `$like`, `$ilike`).
    ///
    /// A query string holds text only: each filter value is read as the type of the field it
    /// compares with (`"10"` for an integer field, `"true"` for a boolean), and refused with
    /// [`Error::InvalidFilter`] if it does not read as one. `$and` and `$or` are not read
    /// from a query string: a query that needs them is sent as JSON.
    ///
    /// ```
    /// use link_runtime::graph::Graph;
    ///
    /// let graph = Graph::from_query(
    ///     "product",
    ///     "fields=id,title,*brand&brand[name]=Acme&id[]=p1&id[]=p2&limit=12&offset=0&order=-title",
    /// )?;
    /// assert_eq!(graph.fields_requested(), ["id", "title", "brand.*"]);
    ///
    /// // What cannot be read is refused before the query runs.
    /// assert!(Graph::from_query("product", "limit=all").is_err());
    /// # Ok::<(), link_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::MalformedQuery`] naming the parameter that cannot be read. Names are checked
    /// against the registry when the query runs.
    pub fn from_query(entity: impl Into<String>, query: &str) -> Result<Graph> {
        read(EntityName::Name(entity.into()), query)
    }

    /// [`Graph::from_query`] for a model known at compile time.
    #[cfg(feature = "axum")]
    pub(crate) fn from_query_of(entity: &'static EntitySchema, query: &str) -> Result<Graph> {
        read(EntityName::Schema(entity), query)
    }
}

fn read(entity: EntityName, query: &str) -> Result<Graph> {
    let mut fields = Vec::new();
    let mut filters = Map::new();
    let mut pagination = Map::new();
    let mut with_deleted = false;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let (key, value) = (key.into_owned(), value.into_owned());
        match key.as_str() {
            "fields" => {
                for field in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                    fields.push(field_path(field)?);
                }
            }
            "limit" => {
                pagination.insert("take".into(), Value::from(number(&key, &value)?));
            }
            "offset" => {
                pagination.insert("skip".into(), Value::from(number(&key, &value)?));
            }
            "after" => {
                pagination.insert("after".into(), Value::from(value));
            }
            "order" => {
                let keys: Vec<Value> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| {
                        let (path, direction) = match k.strip_prefix('-') {
                            Some(path) => (path, "DESC"),
                            None => (k, "ASC"),
                        };
                        let mut key = Map::new();
                        key.insert(path.to_owned(), Value::from(direction));
                        Value::Object(key)
                    })
                    .collect();
                pagination.insert("order".into(), Value::Array(keys));
            }
            "with_deleted" => {
                with_deleted = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(malformed(format!("`with_deleted={value}`: true or false"))),
                }
            }
            _ => insert_filter(&mut filters, &key, value)?,
        }
    }
    debug_assert!(RESERVED.iter().all(|key| !filters.contains_key(*key)));
    let mut document = Map::new();
    document.insert("entity".into(), Value::from("entity"));
    if !fields.is_empty() {
        document.insert("fields".into(), fields.into());
    }
    if !filters.is_empty() {
        document.insert("filters".into(), Value::Object(filters));
    }
    if !pagination.is_empty() {
        document.insert("pagination".into(), Value::Object(pagination));
    }
    document.insert("with_deleted".into(), Value::Bool(with_deleted));
    let mut graph = Graph::from_json(Value::Object(document))?;
    graph.entity = entity;
    graph.text_values = true;
    Ok(graph)
}

/// A field of `fields=`, in the path form of [`Graph`]: `*brand` is `brand.*`.
fn field_path(field: &str) -> Result<String> {
    if let Some(link) = field.strip_prefix('*') {
        return Ok(format!("{link}.*"));
    }
    if field.starts_with('-') {
        return Err(malformed(format!(
            "`fields`: `{field}` removes a default field, and a query has none: name the \
             fields to read"
        )));
    }
    Ok(field.strip_prefix('+').unwrap_or(field).to_owned())
}

fn number(key: &str, value: &str) -> Result<u64> {
    value
        .parse()
        .map_err(|_| malformed(format!("`{key}={value}`: a whole number of rows")))
}

/// Adds the filter of one `key=value` parameter: `key` is a name and bracketed segments
/// (`brand[name]`, `price[$gte]`, `id[]`).
fn insert_filter(filters: &mut Map<String, Value>, key: &str, value: String) -> Result<()> {
    let (segments, append) = segments(key)?;
    if let Some(combinator) = segments.iter().find(|s| *s == "$and" || *s == "$or") {
        return Err(malformed(format!(
            "`{key}`: `{combinator}` is not read from a query string; send the query as JSON"
        )));
    }
    let (last, parents) = segments.split_last().expect("at least the name");
    let mut object = filters;
    for (i, segment) in parents.iter().enumerate() {
        let slot = object
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        object = match slot {
            Value::Object(inner) => inner,
            _ => {
                return Err(malformed(format!(
                    "`{key}`: `{}` has a value and fields at once",
                    segments[..=i].join(".")
                )))
            }
        };
    }
    let list_operator = last == "$in" || last == "$nin";
    match object.get_mut(last) {
        None if append || list_operator => {
            object.insert(last.clone(), Value::Array(vec![Value::String(value)]));
        }
        None => {
            object.insert(last.clone(), Value::String(value));
        }
        // A key given again adds to its list: `id=a&id=b` is `id[]=a&id[]=b`.
        Some(Value::Array(values)) => values.push(Value::String(value)),
        Some(slot @ Value::String(_)) => {
            let first = slot.take();
            *slot = Value::Array(vec![first, Value::String(value)]);
        }
        Some(_) => {
            return Err(malformed(format!(
                "`{key}`: `{}` has fields and a value at once",
                segments.join(".")
            )))
        }
    }
    Ok(())
}

/// The segments of a filter key, and whether it ends in `[]`: `brand[name]` is
/// `["brand", "name"]`, `id[]` is `(["id"], true)`.
fn segments(key: &str) -> Result<(Vec<String>, bool)> {
    let bad = || {
        malformed(format!(
            "`{key}` is not a filter: `name`, `name[field]` or `name[$op]`"
        ))
    };
    let (name, mut rest) = match key.find('[') {
        Some(at) => key.split_at(at),
        None => (key, ""),
    };
    if name.is_empty() {
        return Err(bad());
    }
    let mut segments = vec![name.to_owned()];
    let mut append = false;
    while !rest.is_empty() {
        if append {
            // `[]` ends a key.
            return Err(bad());
        }
        let inner = rest.strip_prefix('[').ok_or_else(bad)?;
        let end = inner.find(']').ok_or_else(bad)?;
        let segment = &inner[..end];
        rest = &inner[end + 1..];
        if segment.is_empty() {
            append = true;
        } else {
            segments.push(segment.to_owned());
        }
    }
    Ok((segments, append))
}

fn malformed(reason: String) -> Error {
    Error::MalformedQuery { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Order;
    use serde_json::json;

    fn read(query: &str) -> Result<Graph> {
        Graph::from_query("product", query)
    }

    #[test]
    fn reads_fields_pages_order_and_filters() {
        let graph = read(
            "fields=id,title&fields=%2Bhandle,*brand&limit=12&offset=24&order=title,-created_at\
             &brand[name]=Acme&id[]=p1&id[]=p2&price[$gte]=10&title=Kettle+Pro",
        )
        .unwrap();
        let json = Graph::from_json(json!({
            "entity": "product",
            "filters": { "brand": { "name": "Acme" }, "id": ["p1", "p2"],
                         "price": { "$gte": "10" }, "title": "Kettle Pro" },
        }))
        .unwrap();
        assert_eq!(graph.filters, json.filters);
        assert_eq!(graph.fields, ["id", "title", "handle", "brand.*"]);
        assert_eq!(
            graph.order,
            [
                ("title".to_owned(), Order::Asc),
                ("created_at".to_owned(), Order::Desc)
            ]
        );
        assert_eq!((graph.skip, graph.take), (24, Some(12)));
        assert!(
            graph.text_values,
            "its values are read by their fields' types"
        );
    }

    #[test]
    fn a_key_given_again_is_a_list() {
        let twice = read("id=p1&id=p2").unwrap();
        let listed = read("id[]=p1&id[]=p2").unwrap();
        assert_eq!(twice.filters, listed.filters);
        let single_in = read("id[$in]=p1").unwrap();
        assert_eq!(
            single_in.filters,
            read("id[$in][]=p1").unwrap().filters,
            "`$in` takes a list, even of one"
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for (query, says) in [
            ("limit=ten", "`limit=ten`"),
            ("offset=-1", "`offset=-1`"),
            ("with_deleted=yes", "with_deleted"),
            ("fields=-title", "removes a default field"),
            ("brand[name=Acme", "is not a filter"),
            ("[name]=Acme", "is not a filter"),
            ("id[][x]=1", "is not a filter"),
            ("$or[0][title]=A", "send the query as JSON"),
            ("brand=x&brand[name]=Acme", "has a value and fields at once"),
            ("brand[name]=Acme&brand=x", "has fields and a value at once"),
        ] {
            match read(query) {
                Err(Error::MalformedQuery { reason }) => {
                    assert!(reason.contains(says), "{query}: {reason}");
                }
                other => panic!("{query}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_empty_query_reads_everything() {
        let graph = read("").unwrap();
        assert!(graph.fields.is_empty() && graph.filters.is_empty());
        assert_eq!(
            (graph.skip, graph.take, graph.with_deleted),
            (0, None, false)
        );
    }
}
