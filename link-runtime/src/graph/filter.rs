//! The vocabulary of a graph query's filters and orders ([`Filter`], [`Condition`],
//! [`Quantifier`], [`Order`]), and how their JSON form reads.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The direction of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// A filter of a graph query: a condition on a field path, or several combined.
///
/// ```
/// use link_runtime::graph::{Condition, Filter, Graph};
///
/// let cheap_or_acme = Filter::or([
///     Filter::field("price", Condition::lt(10)),
///     Filter::field("brand.name", "Acme"),
/// ]);
/// let graph = Graph::entity("product").filter_by(cheap_or_acme);
/// # let _ = graph;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// The field at `path` meets `condition`.
    Field {
        /// A field, or a linked record's field (`brand.name`).
        path: String,
        /// What its value must be.
        condition: Condition,
    },
    /// Every filter holds.
    And(Vec<Filter>),
    /// At least one filter holds.
    Or(Vec<Filter>),
    /// The live records linked through `path` (a link field, or a path ending in one, as
    /// `brand.products`) meet `filters` as `quantifier` says. With no filters: whether a
    /// record has a linked record at all (`Filter::none("brand", [])`: no live brand, what
    /// `Filter::field("brand", Value::Null)` also says).
    Linked {
        /// The link field, or a path of link fields.
        path: String,
        /// Which of the linked records must meet `filters`.
        quantifier: Quantifier,
        /// On the linked record's fields, paths from it.
        filters: Vec<Filter>,
    },
}

/// Which of a record's linked records must meet a [`Filter::Linked`]'s filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// At least one (JSON `$some`). A filter through a link without a quantifier means
    /// this: `{ "products": { "title": "Lamp" } }`.
    Some,
    /// Each of them (JSON `$every`): true for a record with no linked record at all, as
    /// "all of none" is. A linked record for which a filter is unknown (a null compared)
    /// does not meet it.
    Every,
    /// None of them (JSON `$none`): true for a record with no linked record at all.
    None,
}

impl Quantifier {
    /// The JSON operator: `$some`, `$every`, `$none`.
    pub fn operator(self) -> &'static str {
        match self {
            Quantifier::Some => "$some",
            Quantifier::Every => "$every",
            Quantifier::None => "$none",
        }
    }

    fn of_operator(operator: &str) -> Option<Self> {
        [Quantifier::Some, Quantifier::Every, Quantifier::None]
            .into_iter()
            .find(|quantifier| quantifier.operator() == operator)
    }
}

impl Filter {
    /// The field at `path` meets `condition`.
    pub fn field(path: impl Into<String>, condition: impl Into<Condition>) -> Self {
        Filter::Field {
            path: path.into(),
            condition: condition.into(),
        }
    }

    /// Every filter holds.
    pub fn and(filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::And(filters.into_iter().collect())
    }

    /// At least one filter holds.
    pub fn or(filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::Or(filters.into_iter().collect())
    }

    /// Some live record linked through `path` meets every one of `filters`.
    ///
    /// ```
    /// use link_runtime::graph::{Condition, Filter, Graph};
    ///
    /// // Brands with a product under 10 and one without a title starting with Z.
    /// let graph = Graph::entity("brand").filter_by(Filter::and([
    ///     Filter::some("products", [Filter::field("price", Condition::lt(10))]),
    ///     Filter::none("products", [Filter::field("title", Condition::like("Z%"))]),
    /// ]));
    /// # let _ = graph;
    /// ```
    pub fn some(path: impl Into<String>, filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::linked(path, Quantifier::Some, filters)
    }

    /// Every live record linked through `path` meets every one of `filters`; true for a
    /// record with no linked record.
    ///
    /// ```
    /// use link_runtime::graph::{Condition, Filter, Graph};
    ///
    /// // Brands whose products all cost under 10 (a brand with no product included).
    /// let graph = Graph::entity("brand")
    ///     .filter_by(Filter::every("products", [Filter::field("price", Condition::lt(10))]));
    /// # let _ = graph;
    /// ```
    pub fn every(path: impl Into<String>, filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::linked(path, Quantifier::Every, filters)
    }

    /// No live record linked through `path` meets all of `filters`; with no filters, the
    /// record has no live linked record.
    ///
    /// ```
    /// use link_runtime::graph::{Filter, Graph};
    ///
    /// // Products without a brand.
    /// let graph = Graph::entity("product").filter_by(Filter::none("brand", []));
    /// # let _ = graph;
    /// ```
    pub fn none(path: impl Into<String>, filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::linked(path, Quantifier::None, filters)
    }

    /// The live records linked through `path` meet `filters` as `quantifier` says:
    /// [`some`](Self::some), [`every`](Self::every) or [`none`](Self::none), chosen at run
    /// time.
    ///
    /// ```
    /// use link_runtime::graph::{Filter, Quantifier};
    ///
    /// assert_eq!(
    ///     Filter::linked("brand", Quantifier::None, []),
    ///     Filter::none("brand", []),
    /// );
    /// ```
    pub fn linked(
        path: impl Into<String>,
        quantifier: Quantifier,
        filters: impl IntoIterator<Item = Filter>,
    ) -> Self {
        Filter::Linked {
            path: path.into(),
            quantifier,
            filters: filters.into_iter().collect(),
        }
    }

    /// Every field path the filter reads, in order, those inside `And` and `Or` included.
    ///
    /// ```
    /// use link_runtime::graph::{Condition, Filter};
    ///
    /// let filter = Filter::or([
    ///     Filter::field("price", Condition::lt(10)),
    ///     Filter::and([Filter::field("brand.name", "Acme"), Filter::field("price", 3)]),
    /// ]);
    /// assert_eq!(filter.paths(), ["price", "brand.name", "price"]);
    /// ```
    pub fn paths(&self) -> Vec<&str> {
        let mut paths = Vec::new();
        let mut stack = vec![self];
        while let Some(filter) = stack.pop() {
            match filter {
                Filter::Field { path, .. } => paths.push(path.as_str()),
                Filter::And(inner) | Filter::Or(inner) => stack.extend(inner.iter().rev()),
                Filter::Linked { path, .. } => paths.push(path.as_str()),
            }
        }
        paths
    }

    /// This filter with `prefix.` before every path.
    pub(crate) fn prefixed(self, prefix: &str) -> Self {
        match self {
            Filter::Field { path, condition } => Filter::Field {
                path: format!("{prefix}.{path}"),
                condition,
            },
            Filter::And(filters) => {
                Filter::And(filters.into_iter().map(|f| f.prefixed(prefix)).collect())
            }
            Filter::Or(filters) => {
                Filter::Or(filters.into_iter().map(|f| f.prefixed(prefix)).collect())
            }
            Filter::Linked {
                path,
                quantifier,
                filters,
            } => Filter::Linked {
                path: format!("{prefix}.{path}"),
                quantifier,
                filters,
            },
        }
    }
}

/// What a field's value must be. Values are JSON values, checked against the field's type
/// when the query runs and always bound as parameters.
///
/// A plain value converts into [`Condition::Eq`], an array or a `Vec` into
/// [`Condition::EqAny`], and `serde_json::Value::Null` into [`Condition::IsNull`].
///
/// ```
/// use link_runtime::graph::Condition;
///
/// assert_eq!(Condition::from("Acme"), Condition::Eq("Acme".into()));
/// assert_eq!(Condition::from(["a", "b"]), Condition::EqAny(vec!["a".into(), "b".into()]));
/// assert_eq!(Condition::gt(3), Condition::Gt(3.into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Condition {
    /// `= value`
    Eq(Value),
    /// `<> value` (or `IS NOT NULL` for `null`)
    Ne(Value),
    /// `> value`
    Gt(Value),
    /// `>= value`
    Ge(Value),
    /// `< value`
    Lt(Value),
    /// `<= value`
    Le(Value),
    /// `IN (values)`; an empty list matches nothing.
    EqAny(Vec<Value>),
    /// `NOT IN (values)`; an empty list matches everything.
    NeAll(Vec<Value>),
    /// `LIKE pattern`: `%` matches any run of characters, `_` one character, and a
    /// backslash makes the character after it literal (a backslash at the very end is a
    /// backslash). Case matters, on both backends (PostgreSQL's `LIKE`; on SQLite, whose
    /// `LIKE` ignores ASCII case, the equivalent `GLOB`). At most 10,000 characters, and no
    /// NUL.
    Like(String),
    /// `LIKE pattern`, ignoring case: PostgreSQL's `ILIKE`, SQLite's `LIKE` (which ignores
    /// ASCII case only).
    ILike(String),
    /// `IS NULL`
    IsNull,
    /// `IS NOT NULL`
    IsNotNull,
}

impl Condition {
    /// `= value`; `null` is `IS NULL`.
    pub fn eq(value: impl Into<Value>) -> Self {
        match value.into() {
            Value::Null => Condition::IsNull,
            value => Condition::Eq(value),
        }
    }
    /// `<> value`
    pub fn ne(value: impl Into<Value>) -> Self {
        Condition::Ne(value.into())
    }
    /// `> value`
    pub fn gt(value: impl Into<Value>) -> Self {
        Condition::Gt(value.into())
    }
    /// `>= value`
    pub fn ge(value: impl Into<Value>) -> Self {
        Condition::Ge(value.into())
    }
    /// `< value`
    pub fn lt(value: impl Into<Value>) -> Self {
        Condition::Lt(value.into())
    }
    /// `<= value`
    pub fn le(value: impl Into<Value>) -> Self {
        Condition::Le(value.into())
    }
    /// `IN (values)`, as diesel's `eq_any`.
    pub fn eq_any<V: Into<Value>>(values: impl IntoIterator<Item = V>) -> Self {
        Condition::EqAny(values.into_iter().map(Into::into).collect())
    }
    /// `NOT IN (values)`, as diesel's `ne_all`.
    pub fn ne_all<V: Into<Value>>(values: impl IntoIterator<Item = V>) -> Self {
        Condition::NeAll(values.into_iter().map(Into::into).collect())
    }
    /// `LIKE pattern`; see [`Condition::Like`].
    pub fn like(pattern: impl Into<String>) -> Self {
        Condition::Like(pattern.into())
    }
    /// `LIKE pattern`, ignoring case; see [`Condition::ILike`].
    pub fn ilike(pattern: impl Into<String>) -> Self {
        Condition::ILike(pattern.into())
    }

    /// `>= value`.
    #[deprecated(since = "0.2.0", note = "named as diesel names it: `Condition::ge`")]
    pub fn gte(value: impl Into<Value>) -> Self {
        Self::ge(value)
    }
    /// `<= value`.
    #[deprecated(since = "0.2.0", note = "named as diesel names it: `Condition::le`")]
    pub fn lte(value: impl Into<Value>) -> Self {
        Self::le(value)
    }
    /// `IN (values)`.
    #[deprecated(
        since = "0.2.0",
        note = "named as diesel names it: `Condition::eq_any`"
    )]
    pub fn any_of<V: Into<Value>>(values: impl IntoIterator<Item = V>) -> Self {
        Self::eq_any(values)
    }
    /// `NOT IN (values)`.
    #[deprecated(
        since = "0.2.0",
        note = "named as diesel names it: `Condition::ne_all`"
    )]
    pub fn none_of<V: Into<Value>>(values: impl IntoIterator<Item = V>) -> Self {
        Self::ne_all(values)
    }

    /// A JSON value as a condition: a value is an equality, an array an `IN` list, `null`
    /// `IS NULL`, and an object of operators (`{"$gte": 1, "$lt": 9}`) their conjunction.
    fn from_json(path: &str, value: Value) -> Result<Vec<Condition>> {
        Ok(match value {
            Value::Object(operators) if operators.is_empty() => {
                return Err(malformed(format!(
                    "`{path}`: an empty object is no condition"
                )))
            }
            Value::Object(operators) => {
                let mut conditions = Vec::with_capacity(operators.len());
                for (operator, value) in operators {
                    conditions.push(Condition::operator(path, &operator, value)?);
                }
                conditions
            }
            value => vec![Condition::from(value)],
        })
    }

    fn operator(path: &str, operator: &str, value: Value) -> Result<Condition> {
        let list = |value: Value| match value {
            Value::Array(values) => Ok(values),
            _ => Err(malformed(format!("`{path}`: `{operator}` takes an array"))),
        };
        let text = |value: Value| match value {
            Value::String(text) => Ok(text),
            _ => Err(malformed(format!("`{path}`: `{operator}` takes a string"))),
        };
        Ok(match operator {
            "$eq" => Condition::from(value),
            "$ne" if value.is_null() => Condition::IsNotNull,
            "$ne" => Condition::Ne(value),
            "$gt" => Condition::Gt(value),
            "$gte" => Condition::Ge(value),
            "$lt" => Condition::Lt(value),
            "$lte" => Condition::Le(value),
            "$in" => Condition::EqAny(list(value)?),
            "$nin" => Condition::NeAll(list(value)?),
            "$like" => Condition::Like(text(value)?),
            "$ilike" => Condition::ILike(text(value)?),
            _ => {
                return Err(malformed(format!(
                    "`{path}`: unknown operator `{operator}` (known: {})",
                    OPERATORS.join(", ")
                )))
            }
        })
    }
}

const OPERATORS: [&str; 10] = [
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$like", "$ilike",
];

impl From<Value> for Condition {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Condition::IsNull,
            Value::Array(values) => Condition::EqAny(values),
            value => Condition::Eq(value),
        }
    }
}

macro_rules! condition_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Condition {
            fn from(value: $ty) -> Self {
                Condition::Eq(value.into())
            }
        }
    )*};
}

condition_from!(&str, String, bool, i16, i32, i64, u16, u32, u64, f32, f64);

impl<T: Into<Value>> From<Vec<T>> for Condition {
    fn from(values: Vec<T>) -> Self {
        Condition::eq_any(values)
    }
}

impl<T: Into<Value>, const N: usize> From<[T; N]> for Condition {
    fn from(values: [T; N]) -> Self {
        Condition::eq_any(values)
    }
}

/// `{ "field": condition, "link": { .. }, "$or": [..], "$and": [..] }` under `prefix`.
pub(crate) fn parse_filters(filters: Map<String, Value>, prefix: &str) -> Result<Vec<Filter>> {
    let mut parsed = Vec::with_capacity(filters.len());
    for (key, value) in filters {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match key.as_str() {
            "$and" | "$or" => {
                let Value::Array(items) = value else {
                    return Err(malformed(format!(
                        "`{key}` takes an array of filter objects"
                    )));
                };
                let mut group = Vec::with_capacity(items.len());
                for item in items {
                    let Value::Object(item) = item else {
                        return Err(malformed(format!(
                            "`{key}` takes an array of filter objects"
                        )));
                    };
                    group.push(Filter::And(parse_filters(item, prefix)?));
                }
                parsed.push(if key == "$and" {
                    Filter::And(group)
                } else {
                    Filter::Or(group)
                });
            }
            _ if key.starts_with('$') => {
                return Err(malformed(format!(
                    "unknown combinator `{key}` (known: $and, $or)"
                )))
            }
            _ => match value {
                // `{ "$none": { .. } }`: which linked records must meet the filters.
                Value::Object(object)
                    if object.keys().any(|k| Quantifier::of_operator(k).is_some()) =>
                {
                    let mut object = object.into_iter();
                    let (Some((operator, inner)), None) = (object.next(), object.next()) else {
                        return Err(malformed(format!(
                            "`{path}`: `$some`, `$every` or `$none` stands alone in its object"
                        )));
                    };
                    let quantifier =
                        Quantifier::of_operator(&operator).expect("the object holds a quantifier");
                    let Value::Object(inner) = inner else {
                        return Err(malformed(format!(
                            "`{path}`: `{operator}` takes an object of filters"
                        )));
                    };
                    parsed.push(Filter::Linked {
                        path,
                        quantifier,
                        filters: parse_filters(inner, "")?,
                    });
                }
                // An object of operators is a condition on a field; any other object is a
                // filter on a linked record.
                Value::Object(object)
                    if !object.is_empty() && !object.keys().all(|k| k.starts_with('$')) =>
                {
                    if object.keys().any(|k| OPERATORS.contains(&k.as_str())) {
                        return Err(malformed(format!(
                            "`{path}` mixes operators with field names"
                        )));
                    }
                    parsed.extend(parse_filters(object, &path)?);
                }
                value => {
                    for condition in Condition::from_json(&path, value)? {
                        parsed.push(Filter::Field {
                            path: path.clone(),
                            condition,
                        });
                    }
                }
            },
        }
    }
    Ok(parsed)
}

pub(crate) fn parse_order(order: Value) -> Result<Vec<(String, Order)>> {
    let direction = |field: &str, value: &Value| match value.as_str() {
        Some(d) if d.eq_ignore_ascii_case("asc") => Ok(Order::Asc),
        Some(d) if d.eq_ignore_ascii_case("desc") => Ok(Order::Desc),
        _ => Err(malformed(format!(
            "order of `{field}` is \"ASC\" or \"DESC\""
        ))),
    };
    let mut parsed = Vec::new();
    let objects = match order {
        Value::Object(object) => vec![object],
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(object) => Ok(object),
                _ => Err(malformed("`order` is an object or an array of objects")),
            })
            .collect::<Result<_>>()?,
        _ => return Err(malformed("`order` is an object or an array of objects")),
    };
    for object in objects {
        for (field, value) in object {
            let order = direction(&field, &value)?;
            parsed.push((field, order));
        }
    }
    Ok(parsed)
}

pub(crate) fn count(value: &Value, key: &str) -> Result<u64> {
    value
        .as_u64()
        .ok_or_else(|| malformed(format!("`{key}` is a non-negative integer")))
}

pub(crate) fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedQuery {
        reason: reason.into(),
    }
}
