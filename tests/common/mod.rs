//! What several test files share, each taking the parts it uses.

#[allow(
    dead_code,
    reason = "each test file compiles the whole module and uses a part of it"
)]
pub mod catalog;
