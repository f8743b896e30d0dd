//! The product module: the catalog, soft-deleted (`deleted_at`) so that a deletion can be
//! seen and undone.

use diesel::prelude::*;
use link_runtime::chrono::NaiveDateTime;
use link_runtime::prelude::*;
use serde::{Deserialize, Serialize};

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The products.
        product (id) {
            /// The product's id, e.g. `prod_1`.
            id -> Text,
            /// Its title.
            title -> Text,
            /// When it was deleted, if it was.
            deleted_at -> Nullable<Timestamp>,
        }
    }
}

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Serialize)]
#[linkable(module = "product")]
#[diesel(table_name = schema::product)]
pub struct Product {
    /// Its id, e.g. `prod_1`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// When it was deleted, if it was: graph queries leave it out then.
    #[serde(skip_serializing)]
    pub deleted_at: Option<NaiveDateTime>,
}

/// A product as `POST /admin/products` takes it.
#[derive(Debug, Clone, Deserialize, Insertable)]
#[diesel(table_name = schema::product)]
pub struct NewProduct {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
}
