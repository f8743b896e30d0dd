use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub id: String,
}

// A local time zone is the reader's, not the data's: only UTC is stored.
define_link! {
    Product,
    Brand,
    columns { handed_at: chrono::DateTime<chrono::Local> = "2024-01-31T09:30:00Z", sizes: Vec<Option<i32>> },
}

fn main() {}
