//! Compile-fail tests: each misuse in `ui/` fails with the message in its `.stderr` file.
//!
//! Refresh the snapshots after a deliberate change of a message with
//! `TRYBUILD=overwrite cargo test -p link-tests --test ui`, and review them like prose.

#[test]
fn misuse_fails_to_compile_with_a_clear_message() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
