//! Launching a product: a unit of work across the product module and the product-brand
//! link, in whatever databases they sit, undone when a later step fails.
//!
//! The steps: the product module inserts the product, the link gives it a brand, and the
//! storefront publishes it. The storefront is the last step and can refuse; the first two
//! are then undone, last first: the link is dismissed and the product deleted. With the
//! modules in different databases no transaction covers all three, which is what
//! [`Steps`] is for.
//!
//! ```
//! use commerce::launch::{launch, LaunchError};
//! use commerce::modules::{brand::Brand, product::Product};
//! use diesel::{Connection, SqliteConnection};
//! use link_runtime::databases::{Database, Databases};
//! use link_runtime::prelude::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let one = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let databases = Databases::new(&one);
//! commerce::run(&databases, &mut std::io::sink())?;
//!
//! let lamp = Product { id: "prod_9".into(), title: "Desk Lamp".into() };
//! let failed = launch(&databases, &lamp, &Brand::id("brand_2"), |product| {
//!     Err(LaunchError::Storefront { product: product.id.clone(), reason: "no price".into() })
//! })
//! .unwrap_err();
//! assert_eq!(
//!     failed.compensation.undone,
//!     ["create product_product_brand_brand (prod_9, brand_2)", "insert product prod_9"]
//! );
//!
//! // A storefront that accepts it: the product stays, with its brand.
//! launch(&databases, &lamp, &Brand::id("brand_2"), |_| Ok(()))?;
//! # Ok(())
//! # }
//! ```

use std::fmt;

use diesel::SqliteConnection;
use link_runtime::databases::Databases;
use link_runtime::steps::{Failed, Steps};
use link_runtime::{Id, Linkable};

use crate::links::product_brand;
use crate::modules::{brand::Brand, product, product::Product};

/// Why a launch step failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum LaunchError {
    /// The product module's database refused a statement.
    Module(diesel::result::Error),
    /// The link runtime failed (a cardinality error, a database it could not reach).
    Link(Box<link_runtime::Error>),
    /// A product with this id exists already: launching it would not be undoable.
    Exists(String),
    /// The storefront refused to publish the product.
    Storefront {
        /// The product's id.
        product: String,
        /// The storefront's reason.
        reason: String,
    },
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaunchError::Module(error) => write!(f, "the product module failed: {error}"),
            LaunchError::Link(error) => error.fmt(f),
            LaunchError::Exists(id) => write!(f, "a product `{id}` exists already"),
            LaunchError::Storefront { product, reason } => {
                write!(f, "the storefront refused `{product}`: {reason}")
            }
        }
    }
}

impl std::error::Error for LaunchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LaunchError::Module(error) => error.source(),
            LaunchError::Link(error) => error.source(),
            LaunchError::Exists(_) | LaunchError::Storefront { .. } => None,
        }
    }
}

impl From<diesel::result::Error> for LaunchError {
    fn from(error: diesel::result::Error) -> Self {
        LaunchError::Module(error)
    }
}

impl From<link_runtime::Error> for LaunchError {
    fn from(error: link_runtime::Error) -> Self {
        LaunchError::Link(Box::new(error))
    }
}

/// Inserts `record` in the product module, links it to `brand`, then hands it to `publish`,
/// the storefront's step. If any step fails, the ones before it are undone, last first.
///
/// # Errors
///
/// [`Failed`] with the step's [`LaunchError`] and what undoing the steps before it did.
pub fn launch(
    databases: &Databases<SqliteConnection>,
    record: &Product,
    brand: &Id<Brand>,
    publish: impl FnOnce(&Product) -> Result<(), LaunchError>,
) -> Result<(), Failed<LaunchError>> {
    Steps::run(databases, |steps| {
        let mut conn = steps.databases().for_module(Product::MODULE)?;
        if !product::create(&mut conn, record)? {
            return Err(LaunchError::Exists(record.id.clone()));
        }
        drop(conn);
        let id = Product::id(record.id.clone());
        let undo_id = id.clone();
        steps.on_undo(format!("insert product {id}"), move |databases| {
            product::delete(&mut *databases.for_module(Product::MODULE)?, &undo_id)?;
            Ok(())
        });

        steps.create::<product_brand::Link>(id, brand.clone())?;
        publish(record)
    })
}
