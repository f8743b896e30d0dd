//! What a client is told about an error: [`ErrorDetails`], from [`Error::details`].

use serde::Serialize;

use super::{Error, ErrorKind};

/// A description of an error for a client, to send as a response's body: its kind, a
/// message, and, for the errors about the request, what the request got wrong.
///
/// It serializes as a JSON object with `type` (the kind's name, see [`ErrorKind::as_str`])
/// and `message`, and those of the other fields that are set:
///
/// ```json
/// { "type": "invalid", "message": "`product` has no field `brands` (known: ...)",
///   "entity": "product", "field": "brands" }
/// ```
///
/// [`Error::details`] describes an [`Error`]; [`ErrorDetails::new`] an application's own
/// errors in the same shape.
///
/// ```
/// use link_runtime::{ErrorDetails, ErrorKind};
///
/// let details = ErrorDetails::new(ErrorKind::Invalid, "the body is not JSON");
/// assert_eq!(
///     serde_json::to_value(&details).unwrap(),
///     serde_json::json!({ "type": "invalid", "message": "the body is not JSON" })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorDetails {
    /// What the error means to the client (serialized as `type`).
    #[serde(rename = "type")]
    pub kind: ErrorKind,
    /// What went wrong, in words a client may read.
    pub message: String,
    /// The entity of a graph query the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The field of [`entity`](Self::entity) the error is about, or the path an order
    /// follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The link (its table) that refused a write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The model of [`record`](Self::record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The record a write would have given a second partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The model of [`partner`](Self::partner) and [`refused`](Self::refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_model: Option<String>,
    /// The record's current partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// The partner the write was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The limit a graph query ran into: a [`CostLimit`](crate::graph::CostLimit)'s name
    /// ([`CostLimit::as_str`](crate::graph::CostLimit::as_str)), or `statement_timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// How much of what [`limit`](Self::limit) counts the query asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// The limit's value: the most a query may ask for, or, for `statement_timeout`, the
    /// timeout in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

impl ErrorDetails {
    /// Details of the kind `kind` with the message `message`, and no other field.
    ///
    /// ```
    /// use link_runtime::{ErrorDetails, ErrorKind};
    ///
    /// let details = ErrorDetails::new(ErrorKind::Forbidden, "customers are not in this store");
    /// assert_eq!(details.kind.http_status(), 403);
    /// assert_eq!(details.message, "customers are not in this store");
    /// assert_eq!(details.entity, None);
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorDetails {
            kind,
            message: message.into(),
            entity: None,
            field: None,
            link: None,
            model: None,
            record: None,
            partner_model: None,
            partner: None,
            refused: None,
            limit: None,
            value: None,
            max: None,
        }
    }
}

impl Error {
    /// What to tell a client about this error: its [`kind`](Error::kind), and a message.
    ///
    /// The errors about the request, a graph query's mistakes, its refusal by a scope
    /// ([`Forbidden`](Error::Forbidden)) or by its limits ([`TooCostly`](Error::TooCostly),
    /// [`QueryTimeout`](Error::QueryTimeout)), the records it was told to find
    /// ([`NotFound`](Error::NotFound)), [`Cardinality`](Error::Cardinality),
    /// [`OverLinked`](Error::OverLinked) and [`LinkNotFound`](Error::LinkNotFound), carry
    /// their own message (their `Display`) and say what they are about: `entity` and
    /// `field` for a graph query (the path ordered by for
    /// [`InvalidOrder`](Error::InvalidOrder), the path refused for `Forbidden`); `limit`,
    /// `value` and `max` for a limit; `link`, `model`, `record`,
    /// `partner_model`, `partner` and `refused` for a refused link (the first missing pair
    /// as `record` and `partner` for `LinkNotFound`; `link`, `model`, `record` and
    /// `partner_model` for `OverLinked`, its partners in its message). Every other error's
    /// message is a generic sentence of its kind (`"internal error"` for an `Internal`
    /// one): their own text (the database's words with its tables and constraints, a
    /// module's, the server's configuration) is for the server's log, where `Display` and
    /// `source` still give it in full.
    ///
    /// ```
    /// use link_runtime::Error;
    /// use serde_json::json;
    ///
    /// let refused = Error::Cardinality {
    ///     link: "product_product_brand_brand",
    ///     model: "product",
    ///     record: "prod_1".into(),
    ///     partner_model: "brand",
    ///     partner: "brand_1".into(),
    ///     refused: "brand_2".into(),
    /// };
    /// assert_eq!(
    ///     serde_json::to_value(refused.details()).unwrap(),
    ///     json!({
    ///         "type": "conflict",
    ///         "message": refused.to_string(),
    ///         "link": "product_product_brand_brand",
    ///         "model": "product",
    ///         "record": "prod_1",
    ///         "partner_model": "brand",
    ///         "partner": "brand_1",
    ///         "refused": "brand_2",
    ///     })
    /// );
    ///
    /// let missing = Error::MissingTable {
    ///     table: "product_product_brand_brand",
    ///     owner: "link `product_product_brand_brand`".into(),
    /// };
    /// assert_eq!(
    ///     serde_json::to_value(missing.details()).unwrap(),
    ///     json!({ "type": "internal", "message": "internal error" })
    /// );
    /// ```
    pub fn details(&self) -> ErrorDetails {
        let kind = self.kind();
        let own = |details: ErrorDetails| ErrorDetails {
            message: self.to_string(),
            ..details
        };
        let mut details = ErrorDetails::new(kind, kind.generic_message());
        match self {
            Error::Cardinality {
                link,
                model,
                record,
                partner_model,
                partner,
                refused,
            } => {
                details.link = Some((*link).to_owned());
                details.model = Some((*model).to_owned());
                details.record = Some(record.clone());
                details.partner_model = Some((*partner_model).to_owned());
                details.partner = Some(partner.clone());
                details.refused = Some(refused.clone());
                own(details)
            }
            Error::OverLinked {
                link,
                model,
                record,
                partner_model,
                ..
            } => {
                details.link = Some((*link).to_owned());
                details.model = Some((*model).to_owned());
                details.record = Some(record.clone());
                details.partner_model = Some((*partner_model).to_owned());
                own(details)
            }
            Error::LinkNotFound {
                link,
                model,
                partner_model,
                missing,
            } => {
                details.link = Some((*link).to_owned());
                details.model = Some((*model).to_owned());
                details.partner_model = Some((*partner_model).to_owned());
                if let Some((record, partner)) = missing.first() {
                    details.record = Some(record.clone());
                    details.partner = Some(partner.clone());
                }
                own(details)
            }
            Error::UnknownEntity { entity, .. } | Error::AmbiguousEntity { entity, .. } => {
                details.entity = Some(entity.clone());
                own(details)
            }
            Error::UnknownField { entity, field, .. }
            | Error::AmbiguousField { entity, field, .. }
            | Error::InvalidFilter { entity, field, .. }
            | Error::InvalidOrder {
                entity,
                path: field,
                ..
            } => {
                details.entity = Some(entity.clone());
                details.field = Some(field.clone());
                own(details)
            }
            Error::NotFound { entity, field, .. } => {
                details.entity = Some(entity.clone());
                details.field = field.clone();
                own(details)
            }
            Error::Forbidden { entity, field, .. } => {
                details.entity = Some(entity.clone());
                details.field = field.clone();
                own(details)
            }
            Error::TooCostly { limit, value, max } => {
                details.limit = Some(limit.as_str().to_owned());
                details.value = Some(*value);
                details.max = Some(*max);
                own(details)
            }
            Error::QueryTimeout { timeout } => {
                details.limit = Some("statement_timeout".to_owned());
                details.max = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
                own(details)
            }
            Error::MalformedQuery { .. } | Error::InvalidCursor { .. } => own(details),
            Error::DuplicateTable { .. }
            | Error::NoSoftDelete { .. }
            | Error::Module { .. }
            | Error::UnknownModule { .. }
            | Error::Connection { .. }
            | Error::PreparedTransactionsDisabled { .. }
            | Error::InDoubt { .. }
            | Error::Contention { .. }
            | Error::MissingTable { .. }
            | Error::UnknownLink { .. }
            | Error::Sync { .. }
            | Error::WrongDialect { .. }
            | Error::Export { .. }
            | Error::Output(_)
            | Error::Deserialize { .. }
            | Error::Database(_) => details,
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    use serde_json::json;

    use super::*;

    fn body(error: &Error) -> serde_json::Value {
        serde_json::to_value(error.details()).unwrap()
    }

    #[test]
    fn a_graph_query_s_mistakes_name_what_they_are_about() {
        let unknown = Error::UnknownField {
            entity: "product".into(),
            field: "brands".into(),
            known: vec!["id".into(), "brand".into()],
        };
        assert_eq!(
            body(&unknown),
            json!({
                "type": "invalid",
                "message": "`product` has no field `brands` (known: id, brand)",
                "entity": "product",
                "field": "brands",
            })
        );
        let order = Error::InvalidOrder {
            entity: "brand".into(),
            path: "products.title".into(),
            reason: "a brand has many products".into(),
        };
        assert_eq!(
            body(&order),
            json!({
                "type": "invalid",
                "message": "cannot order `brand` by `products.title`: a brand has many products",
                "entity": "brand",
                "field": "products.title",
            })
        );
        let malformed = Error::MalformedQuery {
            reason: "`fields` must be an array".into(),
        };
        assert_eq!(
            body(&malformed),
            json!({
                "type": "invalid",
                "message": "malformed graph query: `fields` must be an array",
            })
        );
    }

    #[test]
    fn a_scope_s_refusal_names_the_path_refused() {
        let link = Error::Forbidden {
            entity: "product".into(),
            field: Some("wishlists".into()),
            reason: crate::error::Refusal::Link,
        };
        assert_eq!(link.kind(), ErrorKind::Forbidden);
        assert_eq!(
            body(&link),
            json!({
                "type": "forbidden",
                "message": "the scope refuses `wishlists` of `product`: link not in scope",
                "entity": "product",
                "field": "wishlists",
            })
        );
        let take = Error::Forbidden {
            entity: "product".into(),
            field: None,
            reason: crate::error::Refusal::Take {
                asked: 500,
                max: 100,
            },
        };
        assert_eq!(
            body(&take),
            json!({
                "type": "forbidden",
                "message": "the scope refuses `product`: take 500 over 100",
                "entity": "product",
            })
        );
    }

    #[test]
    fn a_query_over_its_limits_names_the_limit() {
        let costly = Error::TooCostly {
            limit: crate::error::CostLimit::FilterLinks,
            value: 4_000,
            max: 64,
        };
        assert_eq!(
            body(&costly),
            json!({
                "type": "invalid",
                "message": "the graph query is too costly: 4000 links followed by its filters, \
                            over the limit of 64",
                "limit": "filter_links",
                "value": 4_000,
                "max": 64,
            })
        );
        let timeout = Error::QueryTimeout {
            timeout: std::time::Duration::from_millis(2_500),
        };
        assert_eq!(
            body(&timeout),
            json!({
                "type": "unavailable",
                "message": "the graph query ran past its time limit: a statement took longer \
                            than 2.5s",
                "limit": "statement_timeout",
                "max": 2_500,
            })
        );
    }

    #[test]
    fn the_database_s_words_stay_on_the_server() {
        let duplicate = Error::from(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new(String::from(
                "UNIQUE constraint failed: product_product_brand_brand.product_id",
            )),
        ));
        assert_eq!(
            body(&duplicate),
            json!({
                "type": "conflict",
                "message": "the request conflicts with the current state of the data",
            })
        );
        assert!(duplicate
            .to_string()
            .contains("product_product_brand_brand"));

        let unreachable = Error::Connection {
            database: "catalog".into(),
            source: "password authentication failed for user \"shop\"".into(),
        };
        assert_eq!(
            body(&unreachable),
            json!({
                "type": "unavailable",
                "message": "the service is temporarily unavailable; try again",
            })
        );

        let syntax = Error::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(String::from("near \"SELEC\": syntax error")),
        ));
        assert_eq!(
            body(&syntax),
            json!({ "type": "internal", "message": "internal error" })
        );
        assert_eq!(syntax.to_string(), "near \"SELEC\": syntax error");
    }
}
