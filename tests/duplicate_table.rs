//! Two links that claim one table are refused before anything is created.
//!
//! A test binary of its own: the registry is global, and the other tests need it sound.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use link_runtime::prelude::*;
use link_runtime::Error;

#[derive(Linkable)]
#[linkable(module = "catalog")]
pub struct Item {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "catalog")]
pub struct Category {
    pub id: String,
}

mod item_category {
    use super::*;
    define_link!(Item, Category, database(table = "shared_table"));
}

mod category_item {
    use super::*;
    define_link!(Category, Item(is_list), database(table = "shared_table"));
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[test]
fn two_links_on_one_table_are_refused_before_anything_is_created() {
    let error = link_runtime::registered_links().unwrap_err();
    assert!(
        matches!(&error, Error::DuplicateTable { table: "shared_table", first, second }
            if [first.as_str(), second.as_str()].contains(&"item -> category")
                && [first.as_str(), second.as_str()].contains(&"category -> item")),
        "{error:?}"
    );
    assert!(error
        .to_string()
        .contains("name one with `database(table = \"...\")`"));

    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    let error = link_runtime::migrate(&mut conn).unwrap_err();
    assert!(matches!(error, Error::DuplicateTable { .. }), "{error:?}");
    let tables = diesel::sql_query("SELECT count(*) AS count FROM sqlite_master")
        .get_result::<Count>(&mut conn)
        .unwrap();
    assert_eq!(tables.count, 0, "nothing was created");
    assert_eq!(item_category::Link::TABLE, category_item::Link::TABLE);
}
