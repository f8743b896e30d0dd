//! The review module: ratings with a text, in its own table `review`.
//!
//! A review holds the id of the product it reviews in a column of its own, `product_id`,
//! which the read-only link `review_product` reads (no pivot table); it does not say who
//! wrote it: a link to customers says so, from outside the module.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use link_runtime::prelude::*;

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The reviews.
        review (id) {
            /// The review's id, e.g. `rev_1`.
            id -> Text,
            /// The rating, from 1 to 5.
            rating -> Integer,
            /// The review's text.
            body -> Text,
            /// The product reviewed, if any.
            product_id -> Nullable<Text>,
        }
    }
}

/// A review.
#[derive(Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Insertable)]
#[linkable(module = "review")]
#[diesel(table_name = schema::review, check_for_backend(diesel::sqlite::Sqlite))]
pub struct Review {
    /// Its id, e.g. `rev_1`.
    pub id: String,
    /// The rating, from 1 to 5.
    pub rating: i32,
    /// Its text.
    pub body: String,
    /// The product it reviews, if any: what the read-only link `review_product` follows.
    pub product_id: Option<String>,
}

/// Creates the module's table unless the database has it.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn migrate(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS review (
            id TEXT PRIMARY KEY NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
            body TEXT NOT NULL,
            product_id TEXT
        )",
    )
}

/// Inserts `record` unless a review with its id exists; returns whether it was inserted.
///
/// # Errors
///
/// When SQLite refuses the statement, e.g. a rating outside 1 to 5.
pub fn create(conn: &mut SqliteConnection, record: &Review) -> QueryResult<bool> {
    // Only a duplicate id is ignored (`INSERT OR IGNORE` would also swallow a failed CHECK).
    let inserted = diesel::insert_into(schema::review::table)
        .values(record)
        .on_conflict(schema::review::id)
        .do_nothing()
        .execute(conn)?;
    Ok(inserted > 0)
}

/// The review with this id, if there is one.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn get(conn: &mut SqliteConnection, id: &Id<Review>) -> QueryResult<Option<Review>> {
    schema::review::table
        .find(id.as_str())
        .select(Review::as_select())
        .first(conn)
        .optional()
}

/// Takes the review `id` off the product `product`, if it is on that product: the
/// review's product becomes none. Returns whether it was on it.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn take_off(conn: &mut SqliteConnection, id: &Id<Review>, product: &str) -> QueryResult<bool> {
    use schema::review::dsl;
    let changed = diesel::update(
        dsl::review
            .filter(dsl::id.eq(id.as_str()))
            .filter(dsl::product_id.eq(product)),
    )
    .set(dsl::product_id.eq(None::<String>))
    .execute(conn)?;
    Ok(changed > 0)
}

/// Every review, ordered by id.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn list(conn: &mut SqliteConnection) -> QueryResult<Vec<Review>> {
    schema::review::table
        .order(schema::review::id)
        .select(Review::as_select())
        .load(conn)
}
