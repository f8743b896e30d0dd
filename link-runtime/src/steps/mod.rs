//! Link steps with compensation: Medusa's `createRemoteLinkStep`,
//! `dismissRemoteLinkStep`, `updateRemoteLinksStep` and `removeRemoteLinkStep`, without a
//! workflow engine.
//!
//! A unit of work that touches several modules cannot run in one transaction when the
//! modules sit in different databases. [`Steps`] records each step it runs with the step that
//! undoes it; when a later step fails, [`Steps::run`] undoes the earlier ones in reverse
//! order:
//!
//! - a created link is dismissed again, and a link that `create_with` changed gets its
//!   previous extra column values back;
//! - a dismissed link is created again with the extra column values it had (its row, `id`
//!   and `created_at` come back with it);
//! - an updated link gets its previous extra column values back (Medusa's
//!   `updateRemoteLinksStep`);
//! - the links of deleted records, and the records `delete_cascade` deleted with them, are
//!   restored (Medusa's `removeRemoteLinkStep`);
//! - a step of the application's own, such as inserting a product, is undone by what it
//!   registers with [`Steps::on_undo`].
//!
//! Each link step is one transaction on the link's database, so a step that fails leaves
//! nothing of its own behind and has nothing to undo.
//!
//! ```
//! use diesel::connection::SimpleConnection;
//! use diesel::{Connection, RunQueryDsl, SqliteConnection};
//! use link_runtime::databases::{Database, Databases};
//! use link_runtime::prelude::*;
//! use link_runtime::steps::Steps;
//!
//! #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
//! #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
//! mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let main = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let databases = Databases::new(&main);
//! databases.migrate()?;
//! databases.for_module("product")?.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY)")?;
//!
//! let outcome = Steps::run(&databases, |steps| {
//!     // A step of the product module, and how to undo it.
//!     diesel::sql_query("INSERT INTO product VALUES ('p1')")
//!         .execute(&mut *steps.databases().for_module("product")?)?;
//!     steps.on_undo("insert product p1", |databases| {
//!         diesel::sql_query("DELETE FROM product WHERE id = 'p1'")
//!             .execute(&mut *databases.for_module("product")?)?;
//!         Ok(())
//!     });
//!     // A link step: undone by dismissing the link.
//!     steps.create::<product_brand::Link>(Product::id("p1"), Brand::id("b1"))?;
//!     // A later step fails.
//!     Err::<(), Box<dyn std::error::Error + Send + Sync>>("payment refused".into())
//! });
//!
//! let failed = outcome.unwrap_err();
//! assert_eq!(failed.error.to_string(), "payment refused");
//! assert!(failed.compensation.is_complete());
//! assert_eq!(failed.compensation.undone.len(), 2);
//! let mut conn = databases.for_link::<product_brand::Link>()?;
//! assert!(product_brand::Link::list(&mut *conn, &Default::default())?.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! With feature `async`, [`aio::Steps`](crate::aio::Steps) is the same on the async driver.

mod blocking;
mod compensation;
pub(crate) mod journal;

pub use self::blocking::Steps;
pub use self::compensation::{Compensation, Failed, UndoFailure};
