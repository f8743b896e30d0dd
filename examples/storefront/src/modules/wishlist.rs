//! The wishlist module: a customer's list of products they want.

use diesel::prelude::*;
use link_runtime::prelude::*;
use serde::{Deserialize, Serialize};

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The wishlists.
        wishlist (id) {
            /// The wishlist's id, e.g. `wl_1`.
            id -> Text,
        }
    }
}

/// A wishlist, as stored and as `POST /admin/wishlists` takes it.
#[derive(
    Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Insertable, Serialize, Deserialize,
)]
#[linkable(module = "wishlist")]
#[diesel(table_name = schema::wishlist)]
pub struct Wishlist {
    /// Its id, e.g. `wl_1`.
    pub id: String,
}
