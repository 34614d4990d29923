use async_graphql::parser::parse_query;

use super::{
    analysis::{Analyser, Summary},
    brackets::nests_deeper_than,
    *,
};
use crate::config::Settings;

/// The limits of the default configuration (development: introspection on).
fn defaults() -> QueryLimits {
    let settings = Settings::from_lookup(|_| None).unwrap();
    QueryLimits::from_settings(&settings.graphql)
}

/// The analysis of `query` under `limits`, and how many visits it took.
fn analyse_with(limits: &QueryLimits, query: &str) -> (Result<Summary, Refusal>, usize) {
    let document = parse_query(query).unwrap();
    let mut analyser = Analyser::new(&document, limits);
    let result = analyser.run().map(|()| {
        let (_, operation) = document.operations.iter().next().unwrap();
        analyser
            .summarize(&operation.node.selection_set.node)
            .unwrap()
    });
    (result, analyser.visits)
}

/// Refused with `code` and a message containing `words`, in visits linear in the
/// document's length.
fn assert_refused(query: &str, code: ErrorCode, words: &str) -> usize {
    let (result, visits) = analyse_with(&defaults(), query);
    let refusal = result.expect_err("refused");
    assert_eq!(refusal.code, code, "{}", refusal.message);
    assert!(refusal.message.contains(words), "{}", refusal.message);
    assert!(
        visits <= 2 * query.len(),
        "{visits} visits for {} bytes",
        query.len()
    );
    visits
}

/// `query { ...F0 }` and fragments that each spread the next `width` times.
fn fan_out(levels: usize, width: usize) -> String {
    let mut query = String::from("query { ...F0 }\n");
    for level in 0..levels {
        let spreads = format!("...F{} ", level + 1).repeat(width);
        query.push_str(&format!("fragment F{level} on Query {{ {spreads}}}\n"));
    }
    query.push_str(&format!("fragment F{levels} on Query {{ __typename }}\n"));
    query
}

#[test]
fn the_reproduced_fan_out_is_refused_in_linear_work() {
    let query = fan_out(25, 3);
    assert!(query.len() < 1200);
    // 77 selections written, each looked at about three times: not 3^25.
    let visits = assert_refused(&query, ErrorCode::QueryTooComplex, "more than 200 fields");
    assert!(visits <= 3 * 77, "{visits}");
}

#[test]
fn a_fan_out_past_every_counter_saturates_instead_of_overflowing() {
    // 10^30 fields: more than a u64 holds (an overflow would panic in tests).
    assert_refused(&fan_out(30, 10), ErrorCode::QueryTooComplex, "200 fields");
    // 3^40 fields, 41 levels of spreads: the nesting is what people hear of.
    assert_refused(&fan_out(40, 3), ErrorCode::QueryTooComplex, "nested deeper");
}

#[test]
fn a_fragment_made_only_of_spreads_is_bounded_by_nesting() {
    // Each fragment spreads the next once: one field in all, 33 levels of spreads.
    assert_refused(&fan_out(33, 1), ErrorCode::QueryTooComplex, "nested deeper");
    let (result, _) = analyse_with(&defaults(), &fan_out(30, 1));
    assert!(result.is_ok());
}

#[test]
fn a_chain_of_thousands_of_fragments_does_not_recurse() {
    let query = fan_out(20_000, 1);
    assert_refused(&query, ErrorCode::QueryTooComplex, "nested deeper");
}

#[test]
fn a_wide_fragment_spread_everywhere_is_counted_once_per_spread() {
    let wide: String = (0..150).map(|i| format!("f{i} ")).collect();
    let spreads = "...W ".repeat(100);
    let query = format!("{{ me {{ {spreads} }} }} fragment W on User {{ {wide} }}");
    let visits = assert_refused(&query, ErrorCode::QueryTooComplex, "fields");
    // The fragment's 150 fields are looked at once, not at each of the 100 spreads.
    assert!(visits < 2 * (150 + 100), "{visits}");
}

#[test]
fn fan_out_under_a_nested_field_counts_at_every_level() {
    let query = format!(
        "{{ me {{ sessions {{ user {{ ...F0 }} }} }} }} {}",
        fan_out(6, 3)
            .split_once('\n')
            .unwrap()
            .1
            .replace("Query", "User")
    );
    assert_refused(&query, ErrorCode::QueryTooComplex, "fields");
}

#[test]
fn aliases_and_directives_in_fragments_count_at_every_spread() {
    let query = "{ me { ...A ...A ...A ...A ...A ...A } } fragment A on User { a: id b: id }";
    assert_refused(query, ErrorCode::QueryTooComplex, "aliases");
    let query = "{ me { ...D ...D ...D ...D ...D ...D } } \
                 fragment D on User { id @include(if: true) @skip(if: false) }";
    assert_refused(query, ErrorCode::QueryTooComplex, "directives");
    let many = "@include(if: true) ".repeat(11);
    assert_refused(
        &format!("{{ __typename {many} }}"),
        ErrorCode::QueryTooComplex,
        "directives",
    );
}

#[test]
fn fragment_cycles_are_validation_errors_with_the_spec_message() {
    let refusal = |query: &str| analyse_with(&defaults(), query).0.err().unwrap();
    let direct = refusal("{ ...A } fragment A on Query { __typename ...A }");
    assert_eq!(direct.code, ErrorCode::GraphqlValidationFailed);
    assert_eq!(
        direct.message,
        "Cannot spread fragment \"A\" within itself."
    );
    let indirect = refusal(
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...C } \
         fragment C on Query { ...A }",
    );
    assert_eq!(indirect.code, ErrorCode::GraphqlValidationFailed);
    assert_eq!(
        indirect.message,
        "Cannot spread fragment \"A\" within itself via \"B\", \"C\"."
    );
    // An unused cycle is as invalid, and fanning out cannot hide it.
    assert_refused(
        "{ __typename } fragment A on Query { ...B ...B ...B } fragment B on Query { ...A }",
        ErrorCode::GraphqlValidationFailed,
        "within itself",
    );
}

#[test]
fn unknown_fragments_are_left_to_validation() {
    let (result, _) = analyse_with(&defaults(), "{ ...Nowhere __typename }");
    assert!(result.is_ok());
}

#[test]
fn unused_fragments_count_toward_the_document() {
    // Each unused fragment spreads a wide one: validation would walk W for each.
    let wide: String = (0..190).map(|i| format!("f{i} ")).collect();
    let unused: String = (0..60)
        .map(|i| format!("fragment U{i} on Query {{ ...W }} "))
        .collect();
    let query = format!("{{ __typename }} fragment W on Query {{ {wide} }} {unused}");
    assert_refused(&query, ErrorCode::QueryTooComplex, "in all");
}

#[test]
fn variables_and_arguments_are_bounded() {
    let variables: String = (0..33).map(|i| format!("$v{i}: Int ")).collect();
    assert_refused(
        &format!("query({variables}) {{ __typename }}"),
        ErrorCode::QueryTooComplex,
        "variables",
    );
    let arguments: String = (0..17).map(|i| format!("a{i}: 1 ")).collect();
    assert_refused(
        &format!("{{ me({arguments}) {{ id }} }}"),
        ErrorCode::QueryTooComplex,
        "arguments",
    );
}

/// graphql-js 16's `getIntrospectionQuery` with every option GraphiQL may pass
/// (`inputValueDeprecation`, `schemaDescription`) and `directiveIsRepeatable`,
/// `specifiedByUrl`, `oneOf` as well: the largest form any client sends.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives {
      name description isRepeatable locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) {
    name description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name } } } } } } } } }
}"#;

#[test]
fn graphiqls_introspection_query_fits_its_budget() {
    let limits = defaults();
    let document = parse_query(INTROSPECTION).unwrap();
    let mut analyser = Analyser::new(&document, &limits);
    analyser.run().unwrap();
    let in_all = analyser.in_all;
    let (_, operation) = document.operations.iter().next().unwrap();
    let summary = analyser
        .summarize(&operation.node.selection_set.node)
        .unwrap();
    // The measurement behind the defaults in config.rs: 15 levels (fields → args →
    // type → nine `ofType`), 227 fields with the fragments expanded.
    let introspection = summary.introspection;
    assert_eq!((introspection.depth, introspection.count), (15, 227));
    assert!(introspection.depth < limits.introspection_max_depth);
    assert!(introspection.count < limits.introspection_max_complexity);
    // Not two copies' worth, though `__schema` twice is refused anyway.
    assert!(2 * introspection.count > limits.introspection_max_complexity);
    assert_eq!(introspection.lists, 1);
    assert_eq!(summary.schema_introspections, 1);
    assert_eq!((summary.outer.count, summary.root_fields), (0, 1));
    assert_eq!(summary.nesting, 17);
    assert!(in_all < MAX_DOCUMENT_SELECTIONS / 10, "{in_all}");
    assert!(!nests_deeper_than(INTROSPECTION, 12));
}

#[test]
fn introspection_bombs_are_refused() {
    // Aliased copies of the whole schema.
    let copy = "__schema { types { fields { type { ofType { ofType { name } } } } } }";
    assert_refused(
        &format!("{{ a: {copy} b: {copy} }}"),
        ErrorCode::QueryTooComplex,
        "`__schema` only once",
    );
    // Lists of lists: every level multiplies the answer by a type's width.
    assert_refused(
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        ErrorCode::QueryTooComplex,
        "at most 2 deep",
    );
    // Fragments fanning out inside introspection.
    let query = format!(
        "{{ __schema {{ types {{ ...F0 }} }} }} {}",
        fan_out(12, 3)
            .split_once('\n')
            .unwrap()
            .1
            .replace("Query", "__Type")
            .replace("__typename", "name")
    );
    assert_refused(
        &query,
        ErrorCode::QueryTooComplex,
        "introspection query selects",
    );
    // Deep `ofType` chains.
    let deep = format!(
        "{{ __type(name: \"User\") {{ {}name{} }} }}",
        "ofType { ".repeat(20),
        " }".repeat(20)
    );
    assert_refused(
        &deep,
        ErrorCode::QueryTooComplex,
        "introspection query is nested",
    );
}

#[test]
fn introspection_stays_off_when_switched_off() {
    let limits = QueryLimits {
        allow_introspection: false,
        ..defaults()
    };
    for query in [
        INTROSPECTION,
        "{ __type(name: \"User\") { name } }",
        "{ ...F } fragment F on Query { __schema { queryType { name } } }",
    ] {
        let refusal = analyse_with(&limits, query).0.err().unwrap();
        assert_eq!(refusal.code, ErrorCode::GraphqlValidationFailed);
    }
    assert!(analyse_with(&limits, "{ __typename }").0.is_ok());
}

#[test]
fn bracket_nesting_is_measured_outside_strings_and_comments() {
    assert!(nests_deeper_than(&"[".repeat(65), 64));
    assert!(!nests_deeper_than(&"[".repeat(64), 64));
    let hidden = format!(
        "{{ a(s: \"{}\\\"{}\", b: \"\"\"{}\\\"\"\"{}\"\"\") # {}\n }}",
        "{".repeat(100),
        "[".repeat(100),
        "(".repeat(100),
        "{".repeat(100),
        "[".repeat(100)
    );
    assert!(!nests_deeper_than(&hidden, 2), "{hidden}");
    assert!(nests_deeper_than(&format!("{hidden} {{{{{{"), 2));
}
