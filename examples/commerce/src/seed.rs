//! The demo's records and links. Ids are fixed so that a second run finds what the first
//! one wrote.

use std::io::Write;

use diesel::SqliteConnection;
use link_runtime::databases::Databases;
use link_runtime::{Created, Linkable};

use crate::links::{product_brand, review_customer};
use crate::modules::brand::{self, Brand};
use crate::modules::customer::{self, Customer};
use crate::modules::product::{self, Product};
use crate::modules::review::{self, Review};
use crate::RunError;

const BRANDS: [(&str, &str); 2] = [("brand_1", "Acme Outdoor"), ("brand_2", "Nordic Roast")];

const PRODUCTS: [(&str, &str); 3] = [
    ("prod_1", "Trail Runner"),
    ("prod_2", "Rain Shell"),
    ("prod_3", "Espresso Beans"),
];

const CUSTOMERS: [(&str, &str); 2] = [("cus_1", "ada@example.com"), ("cus_2", "grace@example.com")];

/// Each review with the product it is about, which it holds itself (the read-only link
/// `review_product` reads it); `rev_3` was posted on the wrong product.
const REVIEWS: [(&str, i32, &str, &str); 3] = [
    ("rev_1", 5, "Light, and it grips on wet rock.", "prod_1"),
    ("rev_2", 4, "Smooth, a little bitter.", "prod_3"),
    ("rev_3", 2, "Meant for the jacket, sorry.", "prod_1"),
];

/// Which brand makes each product.
const PRODUCT_BRANDS: [(&str, &str); 3] = [
    ("prod_1", "brand_1"),
    ("prod_2", "brand_1"),
    ("prod_3", "brand_2"),
];

/// Who wrote each review.
const REVIEW_CUSTOMERS: [(&str, &str); 3] =
    [("rev_1", "cus_1"), ("rev_2", "cus_2"), ("rev_3", "cus_2")];

/// Inserts the records that are missing, each through its own module and on its module's
/// database; returns how many.
pub(crate) fn insert_records(
    databases: &Databases<SqliteConnection>,
    out: &mut impl Write,
) -> Result<usize, RunError> {
    let mut outcomes = Vec::new();
    // One connection per module, given back before the next module takes its own: with
    // everything in one database, they are the same connection.
    {
        let mut conn = databases.for_module(Brand::MODULE)?;
        for (id, name) in BRANDS {
            let record = Brand {
                id: id.into(),
                name: name.into(),
            };
            outcomes.push(brand::create(&mut conn, &record)?);
        }
    }
    {
        let mut conn = databases.for_module(Product::MODULE)?;
        for (id, title) in PRODUCTS {
            let record = Product {
                id: id.into(),
                title: title.into(),
            };
            outcomes.push(product::create(&mut conn, &record)?);
        }
    }
    {
        let mut conn = databases.for_module(Customer::MODULE)?;
        for (id, email) in CUSTOMERS {
            let record = Customer {
                id: id.into(),
                email: email.into(),
            };
            outcomes.push(customer::create(&mut conn, &record)?);
        }
    }
    {
        let mut conn = databases.for_module(Review::MODULE)?;
        for (id, rating, body, product) in REVIEWS {
            let record = Review {
                id: id.into(),
                rating,
                body: body.into(),
                product_id: Some(product.into()),
            };
            outcomes.push(review::create(&mut conn, &record)?);
        }
    }
    let inserted = outcomes.iter().filter(|&&inserted| inserted).count();
    writeln!(
        out,
        "records: {inserted} inserted, {} already there \
         ({} brands, {} products, {} customers, {} reviews)",
        outcomes.len() - inserted,
        BRANDS.len(),
        PRODUCTS.len(),
        CUSTOMERS.len(),
        REVIEWS.len(),
    )?;
    Ok(inserted)
}

/// Links the records, each link on the database of its pivot table (a review's product
/// is the review's own column, written with it). Creating a link that is
/// live already changes nothing; creating one that was dismissed revives it.
pub(crate) fn link_records(
    databases: &Databases<SqliteConnection>,
    out: &mut impl Write,
) -> Result<(), RunError> {
    // Through each link's own `Link::create`: the ids go in the order of `define_link!`.
    let mut conn = databases.for_link::<product_brand::Link>()?;
    let outcomes = PRODUCT_BRANDS
        .iter()
        .map(|&(product, brand)| {
            product_brand::Link::create(&mut *conn, Product::id(product), Brand::id(brand))
        })
        .collect::<Result<Vec<_>, _>>()?;
    drop(conn);
    report(out, "products to brands", &PRODUCT_BRANDS, &outcomes)?;

    // A review's product is no pivot row: the review holds it (`review_product` is
    // read-only), and the review module wrote it with the review.

    // Through the generic entry point, which finds the link from the two id types; where
    // its pivot table is, `for_link` is told.
    let mut conn = databases.for_link::<review_customer::Link>()?;
    let outcomes = REVIEW_CUSTOMERS
        .iter()
        .map(|&(review, customer)| {
            link_runtime::create(&mut *conn, Review::id(review), Customer::id(customer))
        })
        .collect::<Result<Vec<_>, _>>()?;
    drop(conn);
    report(out, "reviews to customers", &REVIEW_CUSTOMERS, &outcomes)?;
    Ok(())
}

/// `linked products to brands: prod_1 -> brand_1, .. (3 new, 0 revived, 0 already linked)`.
fn report(
    out: &mut impl Write,
    what: &str,
    pairs: &[(&str, &str)],
    outcomes: &[Created],
) -> std::io::Result<()> {
    let count = |outcome: Created| outcomes.iter().filter(|&&o| o == outcome).count();
    let pairs: Vec<String> = pairs.iter().map(|(a, b)| format!("{a} -> {b}")).collect();
    writeln!(
        out,
        "linked {what}: {} ({} new, {} revived, {} already linked)",
        pairs.join(", "),
        count(Created::Inserted),
        count(Created::Revived),
        count(Created::Unchanged),
    )
}
