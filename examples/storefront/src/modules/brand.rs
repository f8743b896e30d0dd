//! The brand module.

use diesel::prelude::*;
use link_runtime::prelude::*;
use serde::{Deserialize, Serialize};

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The brands.
        brand (id) {
            /// The brand's id, e.g. `brand_1`.
            id -> Text,
            /// Its name.
            name -> Text,
        }
    }
}

/// A brand, as stored and as `POST /admin/brands` takes it.
#[derive(
    Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Insertable, Serialize, Deserialize,
)]
#[linkable(module = "brand")]
#[diesel(table_name = schema::brand)]
pub struct Brand {
    /// Its id, e.g. `brand_1`.
    pub id: String,
    /// Its name.
    pub name: String,
}
