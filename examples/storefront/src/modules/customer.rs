//! The customer module: what the store's clients must never reach.

use diesel::prelude::*;
use link_runtime::prelude::*;
use serde::{Deserialize, Serialize};

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The customers.
        customer (id) {
            /// The customer's id, e.g. `cus_1`.
            id -> Text,
            /// Their email address.
            email -> Text,
        }
    }
}

/// A customer, as stored and as `POST /admin/customers` takes it.
#[derive(
    Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Insertable, Serialize, Deserialize,
)]
#[linkable(module = "customer")]
#[diesel(table_name = schema::customer)]
pub struct Customer {
    /// Their id, e.g. `cus_1`.
    pub id: String,
    /// Their email address.
    pub email: String,
}
