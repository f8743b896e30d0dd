//! Naming rules shared by the derive and the link macro.

/// `ProductVariant` → `product_variant`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let before_lower = i > 0 && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if after_lower || (before_lower && chars[i - 1].is_uppercase()) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A link field's name as a number that a trait can be generic over (FNV-1a, 64 bits):
/// `define_link!` implements `LinkNamed<{field_key("brand")}, Brand>` for `Product`, and
/// `#[derive(GraphSelect)]` finds the link of a field `brand` through the same number, so
/// that two links between the same models are told apart by their names.
pub fn field_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The English plural of a snake_case model name, as Medusa names the list side of a link
/// in graph queries: `product` → `products`, `box` → `boxes`, `category` → `categories`.
pub fn plural(name: &str) -> String {
    let sibilant = ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|ending| name.ends_with(ending));
    let mut chars = name.chars().rev();
    let consonant_y = chars.next() == Some('y')
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() && !"aeiou".contains(c));
    if sibilant {
        format!("{name}es")
    } else if consonant_y {
        format!("{}ies", &name[..name.len() - 1])
    } else {
        format!("{name}s")
    }
}

/// PostgreSQL truncates identifiers longer than this many bytes.
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// A name that is safe to quote into SQL and to use as a Rust identifier: lower-case ASCII
/// letters, digits and underscores, starting with a letter or underscore, and not a Rust
/// keyword.
pub fn is_sql_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    starts_well
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && syn::parse_str::<syn::Ident>(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        assert_eq!(snake_case("Product"), "product");
        assert_eq!(snake_case("ProductVariant"), "product_variant");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Product2Brand"), "product2_brand");
    }

    #[test]
    fn plural_follows_english_endings() {
        assert_eq!(plural("product"), "products");
        assert_eq!(plural("brand"), "brands");
        assert_eq!(plural("address"), "addresses");
        assert_eq!(plural("box"), "boxes");
        assert_eq!(plural("buzz"), "buzzes");
        assert_eq!(plural("batch"), "batches");
        assert_eq!(plural("wish"), "wishes");
        assert_eq!(plural("category"), "categories");
        assert_eq!(plural("product_category"), "product_categories");
        assert_eq!(plural("day"), "days");
        assert_eq!(plural("key"), "keys");
        assert_eq!(plural("y"), "ys");
        assert_eq!(plural("stock_item"), "stock_items");
    }

    #[test]
    fn sql_identifiers_are_lower_case_and_not_keywords() {
        assert!(is_sql_identifier("product_brand"));
        assert!(is_sql_identifier("_x1"));
        assert!(!is_sql_identifier("Product"));
        assert!(!is_sql_identifier("1abc"));
        assert!(!is_sql_identifier("a-b"));
        assert!(!is_sql_identifier("a\"b"));
        assert!(!is_sql_identifier("type"));
        assert!(!is_sql_identifier(""));
    }
}
