//! Typed paths to a model's fields ([`Field`]), and the filters and orders built from them.

use std::marker::PhantomData;

use serde::Serialize;
use serde_json::Value;

use crate::graph::filter::{Condition, Filter, Order};

/// A typed path to a field of the model `M` whose Rust type is `T`, for filters and
/// ordering of [typed queries](crate::graph::GraphSelect). `#[derive(Linkable)]` generates a struct of
/// them, `{Model}Fields`, that the closures of [`TypedGraph`](crate::graph::TypedGraph) receive.
pub struct Field<M, T> {
    name: &'static str,
    marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Field<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Field<M, T> {}

impl<M, T> std::fmt::Debug for Field<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field({})", self.name)
    }
}

impl<M, T> Field<M, T> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Field {
            name,
            marker: PhantomData,
        }
    }

    /// The field's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Orders by this field, smallest first.
    pub fn asc(self) -> TypedOrder<M> {
        TypedOrder::new(self.name, Order::Asc)
    }

    /// Orders by this field, largest first.
    pub fn desc(self) -> TypedOrder<M> {
        TypedOrder::new(self.name, Order::Desc)
    }

    fn filter(self, condition: Condition) -> TypedFilter<M> {
        TypedFilter::new(Filter::field(self.name, condition))
    }
}

impl<M, T: Serialize> Field<M, T> {
    /// `= value`
    pub fn eq(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::from(json(value.into())))
    }
    /// `<> value`
    pub fn ne(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Ne(json(value.into())))
    }
    /// `> value`
    pub fn gt(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Gt(json(value.into())))
    }
    /// `>= value`
    pub fn ge(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Ge(json(value.into())))
    }
    /// `< value`
    pub fn lt(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Lt(json(value.into())))
    }
    /// `<= value`
    pub fn le(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Le(json(value.into())))
    }
    /// `IN (values)`, as diesel's `eq_any`.
    pub fn eq_any<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> TypedFilter<M> {
        self.filter(Condition::EqAny(
            values.into_iter().map(|v| json(v.into())).collect(),
        ))
    }
    /// `NOT IN (values)`, as diesel's `ne_all`.
    pub fn ne_all<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> TypedFilter<M> {
        self.filter(Condition::NeAll(
            values.into_iter().map(|v| json(v.into())).collect(),
        ))
    }
}

impl<M> Field<M, String> {
    /// `LIKE pattern`, case included; see [`Condition::Like`].
    pub fn like(self, pattern: impl Into<String>) -> TypedFilter<M> {
        self.filter(Condition::Like(pattern.into()))
    }
    /// `LIKE pattern`, ignoring case.
    pub fn ilike(self, pattern: impl Into<String>) -> TypedFilter<M> {
        self.filter(Condition::ILike(pattern.into()))
    }
}

impl<M, T> Field<M, Option<T>> {
    /// `IS NULL`
    pub fn is_null(self) -> TypedFilter<M> {
        self.filter(Condition::IsNull)
    }
    /// `IS NOT NULL`
    pub fn is_not_null(self) -> TypedFilter<M> {
        self.filter(Condition::IsNotNull)
    }
}

/// Values of the runtime's own types serialize infallibly; a user type whose `Serialize`
/// fails filters on `null`, which matches nothing but `is_null`.
fn json<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A filter on the model `M`, built from its [`Field`]s.
#[derive(Debug, Clone)]
pub struct TypedFilter<M> {
    filter: Filter,
    marker: PhantomData<fn() -> M>,
}

impl<M> TypedFilter<M> {
    /// `filter`, whose paths start at a record of `M`.
    pub(crate) fn new(filter: Filter) -> Self {
        TypedFilter {
            filter,
            marker: PhantomData,
        }
    }

    /// Both filters hold.
    pub fn and(self, other: TypedFilter<M>) -> Self {
        self.combine(other, Filter::And)
    }

    /// At least one of the filters holds.
    pub fn or(self, other: TypedFilter<M>) -> Self {
        self.combine(other, Filter::Or)
    }

    fn combine(self, other: TypedFilter<M>, with: fn(Vec<Filter>) -> Filter) -> Self {
        TypedFilter {
            filter: with(vec![self.filter, other.filter]),
            marker: PhantomData,
        }
    }

    /// The untyped filter.
    pub fn into_filter(self) -> Filter {
        self.filter
    }
}

/// An order on a field of the model `M`.
#[derive(Debug, Clone)]
pub struct TypedOrder<M> {
    pub(crate) path: &'static str,
    pub(crate) order: Order,
    marker: PhantomData<fn() -> M>,
}

impl<M> TypedOrder<M> {
    pub(crate) fn new(path: &'static str, order: Order) -> Self {
        TypedOrder {
            path,
            order,
            marker: PhantomData,
        }
    }
}
