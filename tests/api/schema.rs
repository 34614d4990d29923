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

/// Generated clients and GraphiQL show these texts: every type, field, argument and
/// enum value says what it is.
#[test]
fn every_type_field_argument_and_enum_value_is_described() {
    use async_graphql::parser::{
        parse_schema,
        types::{TypeKind, TypeSystemDefinition},
    };
    let document = parse_schema(graphql_auth::graphql::sdl()).expect("the SDL parses");
    let mut missing = Vec::new();
    let described = |d: &Option<async_graphql::Positioned<String>>| {
        d.as_ref().is_some_and(|d| !d.node.trim().is_empty())
    };
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        // async-graphql's Relay `Connection` type offers no description hook (its
        // fields are described); the rest is ours.
        let library_made = name.ends_with("Connection");
        if !described(&ty.description) && !library_made {
            missing.push(name.to_owned());
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    let path = format!("{name}.{}", field.name.node);
                    if !described(&field.description) {
                        missing.push(path.clone());
                    }
                    for argument in &field.arguments {
                        if !described(&argument.node.description) {
                            missing.push(format!("{path}({})", argument.node.name.node));
                        }
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    if !described(&field.node.description) {
                        missing.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::Enum(values) => {
                for value in &values.values {
                    if !described(&value.node.description) {
                        missing.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        missing.is_empty(),
        "{} without a description:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}
