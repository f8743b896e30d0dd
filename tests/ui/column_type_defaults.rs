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

define_link! {
    Product,
    Brand,
    columns {
        price: link_runtime::bigdecimal::BigDecimal = "12,50",
        cost: link_runtime::bigdecimal::BigDecimal = 12.5,
        ship_on: chrono::NaiveDate = "2024-02-30",
        slot: chrono::NaiveTime = "25:00:00",
        handed_at: chrono::DateTime<chrono::Utc> = "2024-01-31 09:30",
        parcel: link_runtime::uuid::Uuid = "67e55044-10b1-426f-9247",
        label: Vec<u8> = "text",
        returned_on: Option<chrono::NaiveDate> = Some("yesterday"),
    },
}

fn main() {}
