//! `schema.graphql` is the schema the server builds, byte for byte.
#[test]
fn the_checked_in_schema_matches_the_built_schema() {
    let built = graphql_auth::graphql::sdl();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql exists");
    assert!(
        built == checked_in,
        "schema.graphql is out of date; regenerate it with:\n\n    cargo run -- export-schema > schema.graphql\n"
    );
}
