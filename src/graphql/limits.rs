//! What one document may ask, decided before async-graphql looks at it: depth, field
//! count (complexity), aliases, root fields, directives and variables of each
//! operation, introspection's own budget, and fragment cycles.
//!
//! A document is a program from a stranger, and fragments make it a compressed one:
//! 26 fragments that each spread the next three times name 3^25 fields in 1 KB. So the
//! analysis is one pass in time linear in the document: each named fragment is
//! summarised once, in dependency order, and a spread adds that summary (counts
//! saturate) instead of walking the fragment again. It runs in `prepare_request`,
//! before async-graphql's own recursion check and validation, which do re-walk a
//! fragment at every spread (or per operation); what passes here keeps their work
//! small too.
use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Pos, Positioned, Request, ServerError, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
    parser::types::{Directive, ExecutableDocument, Field, Selection, SelectionSet},
};

use super::error::{ApiError, ErrorCode};
use crate::config::GraphqlSettings;

/// How deep selections may nest, counting fragment spreads and inline fragments as
/// levels the way async-graphql's recursion check does. `build_schema` gives the same
/// number to that check, so a document refused for nesting gets our message.
pub const MAX_NESTING: usize = 32;

/// Brackets of any kind nested in the text. The parser recurses once per level before
/// any other limit can look, and a body of `[[[[…` or `{a{a{a…` thousands deep would
/// exhaust its stack (5,000 levels abort the process); GraphiQL's schema query: 12.
const MAX_TEXT_NESTING: usize = 64;

/// Variables one operation may declare. Validation matches every use of a variable
/// against every definition (uses × definitions); our widest operation needs three.
const MAX_VARIABLES: usize = 32;

/// Arguments one field or directive may carry. Validation compares the arguments of
/// two same-named fields pairwise (arguments²); our widest field takes three.
const MAX_ARGUMENTS: usize = 16;

/// Fields, spreads and inline fragments of every definition in the document together,
/// each fragment counted in full, used or not. Validation walks each operation's
/// fragments once per operation and each selection set's fragments once per set, so
/// this bounds its work; GraphiQL's schema query totals under 1,000.
const MAX_DOCUMENT_SELECTIONS: usize = 10_000;

/// `__schema` at most once per operation: the whole schema twice is never needed, and
/// every copy costs the full answer while counting only a few fields here.
const MAX_SCHEMA_INTROSPECTIONS: usize = 1;

/// Introspection fields that answer lists of types' members, and how deep they may
/// nest in one path (`fields { type { fields { … } } }`): each level multiplies the
/// answer by a type's width. graphql-js's MaxIntrospectionDepthRule allows two as well.
const INTROSPECTION_LISTS: [&str; 4] = ["fields", "inputFields", "interfaces", "possibleTypes"];
const MAX_INTROSPECTION_LISTS: usize = 2;

const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];

#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_directives: usize,
    pub introspection_max_depth: usize,
    pub introspection_max_complexity: usize,
    pub allow_introspection: bool,
}

impl QueryLimits {
    pub fn from_settings(settings: &GraphqlSettings) -> Self {
        Self {
            max_depth: settings.max_depth,
            max_complexity: settings.max_complexity,
            max_aliases: settings.max_aliases,
            max_root_fields: settings.max_root_fields,
            max_directives: settings.max_directives,
            introspection_max_depth: settings.introspection_max_depth,
            introspection_max_complexity: settings.introspection_max_complexity,
            allow_introspection: settings.introspection,
        }
    }

    /// The first limit `document` exceeds, as a message for people.
    fn check(&self, document: &ExecutableDocument) -> Result<(), Refusal> {
        Analyser::new(document, self).run()
    }
}

/// Why a document is refused before it runs.
#[derive(Debug)]
struct Refusal {
    code: ErrorCode,
    message: String,
    pos: Option<Pos>,
}

fn too_complex(message: String) -> Refusal {
    Refusal {
        code: ErrorCode::QueryTooComplex,
        message,
        pos: None,
    }
}

/// Fields of one budget (ordinary or introspection) below some point: how many, how
/// deep (1 = directly there) and how many introspection lists deep.
#[derive(Debug, Default, Clone, Copy)]
struct Fields {
    count: usize,
    depth: usize,
    lists: usize,
}

impl Fields {
    /// Adds `other`, found `levels` fields and `lists` introspection lists further down.
    fn add(&mut self, other: Fields, levels: usize, lists: usize) {
        if other.count == 0 {
            return;
        }
        self.count = self.count.saturating_add(other.count);
        self.depth = self.depth.max(other.depth.saturating_add(levels));
        self.lists = self.lists.max(other.lists.saturating_add(lists));
    }
}

/// What a selection set adds wherever it is used; a named fragment's is computed once.
/// Depths are relative to the place of use; counts saturate.
#[derive(Debug, Default, Clone, Copy)]
struct Summary {
    /// Fields at the top level, through spreads and inline fragments.
    root_fields: usize,
    aliases: usize,
    directives: usize,
    /// Fields, spreads and inline fragments, each fragment expanded where spread.
    selections: usize,
    /// Levels as async-graphql's recursion check counts them (spreads and inline
    /// fragments are levels too).
    nesting: usize,
    schema_introspections: usize,
    /// Fields outside any `__schema`/`__type` of this set: which budget they use
    /// depends on where the set is used (a fragment on `__Type` spread inside
    /// `__schema` is introspection).
    outer: Fields,
    /// Fields under a `__schema` or `__type` of this set.
    introspection: Fields,
}

impl Summary {
    /// Adds a fragment's or inline fragment's summary, spread at this level.
    fn spread(&mut self, inner: &Summary) {
        self.root_fields = self.root_fields.saturating_add(inner.root_fields);
        self.aliases = self.aliases.saturating_add(inner.aliases);
        self.directives = self.directives.saturating_add(inner.directives);
        self.selections = self.selections.saturating_add(inner.selections);
        self.nesting = self.nesting.max(inner.nesting.saturating_add(1));
        self.schema_introspections = self
            .schema_introspections
            .saturating_add(inner.schema_introspections);
        self.outer.add(inner.outer, 0, 0);
        self.introspection.add(inner.introspection, 0, 0);
    }
}

/// Where a fragment stands in the dependency walk.
#[derive(Clone, Copy)]
enum Mark {
    /// On the current path, at this index of it.
    OnPath(usize),
    Done,
}

struct Analyser<'a> {
    document: &'a ExecutableDocument,
    limits: &'a QueryLimits,
    summaries: HashMap<&'a str, Summary>,
    /// Selections of every definition, expanded (`MAX_DOCUMENT_SELECTIONS`).
    in_all: usize,
    /// Selections looked at; the unit tests hold it to a multiple of the document size.
    visits: usize,
}

impl<'a> Analyser<'a> {
    fn new(document: &'a ExecutableDocument, limits: &'a QueryLimits) -> Self {
        Self {
            document,
            limits,
            summaries: HashMap::with_capacity(document.fragments.len()),
            in_all: 0,
            visits: 0,
        }
    }

    fn run(&mut self) -> Result<(), Refusal> {
        for name in self.dependency_order()? {
            let Some(fragment) = self.document.fragments.get(name) else {
                continue;
            };
            let fragment = &fragment.node;
            let mut summary = self.summarize(&fragment.selection_set.node)?;
            summary.directives = summary.directives.saturating_add(fragment.directives.len());
            self.check_directives(&fragment.directives)?;
            self.in_all = self.in_all.saturating_add(summary.selections);
            self.summaries.insert(name, summary);
        }
        let mut operations: Vec<_> = self.document.operations.iter().collect();
        operations.sort_by_key(|(_, operation)| operation.pos);
        for (_, operation) in operations {
            let operation = &operation.node;
            if operation.variable_definitions.len() > MAX_VARIABLES {
                return Err(too_complex(format!(
                    "An operation may declare at most {MAX_VARIABLES} variables."
                )));
            }
            let mut summary = self.summarize(&operation.selection_set.node)?;
            let mut directives = operation.directives.len();
            self.check_directives(&operation.directives)?;
            for variable in &operation.variable_definitions {
                directives = directives.saturating_add(variable.node.directives.len());
                self.check_directives(&variable.node.directives)?;
            }
            summary.directives = summary.directives.saturating_add(directives);
            self.check_operation(&summary)?;
            self.in_all = self.in_all.saturating_add(summary.selections);
        }
        if self.in_all > MAX_DOCUMENT_SELECTIONS {
            return Err(too_complex(format!(
                "The document is too large: its operations and fragments select more than \
                 {MAX_DOCUMENT_SELECTIONS} fields in all, counting a fragment wherever it is spread."
            )));
        }
        Ok(())
    }

    fn check_operation(&self, summary: &Summary) -> Result<(), Refusal> {
        let limits = self.limits;
        let introspection = summary.introspection;
        if introspection.count > 0 && !limits.allow_introspection {
            return Err(Refusal {
                code: ErrorCode::GraphqlValidationFailed,
                message: "Introspection is disabled on this server.".into(),
                pos: None,
            });
        }
        let refusal = if summary.nesting > MAX_NESTING {
            format!("Fields and fragments are nested deeper than {MAX_NESTING} levels.")
        } else if summary.outer.depth > limits.max_depth {
            format!(
                "The query is nested deeper than {} levels.",
                limits.max_depth
            )
        } else if summary.outer.count > limits.max_complexity {
            format!(
                "The query selects more than {} fields, counting a fragment wherever it is spread.",
                limits.max_complexity
            )
        } else if summary.root_fields > limits.max_root_fields {
            format!(
                "An operation may select at most {} root fields.",
                limits.max_root_fields
            )
        } else if summary.aliases > limits.max_aliases {
            format!("The query uses more than {} aliases.", limits.max_aliases)
        } else if summary.directives > limits.max_directives {
            format!(
                "The query uses more than {} directives.",
                limits.max_directives
            )
        } else if summary.schema_introspections > MAX_SCHEMA_INTROSPECTIONS {
            "An operation may ask for `__schema` only once.".to_owned()
        } else if introspection.depth > limits.introspection_max_depth {
            format!(
                "The introspection query is nested deeper than {} levels.",
                limits.introspection_max_depth
            )
        } else if introspection.count > limits.introspection_max_complexity {
            format!(
                "The introspection query selects more than {} fields.",
                limits.introspection_max_complexity
            )
        } else if introspection.lists > MAX_INTROSPECTION_LISTS {
            format!(
                "Introspection may nest `fields`, `inputFields`, `interfaces` and \
                 `possibleTypes` at most {MAX_INTROSPECTION_LISTS} deep."
            )
        } else {
            return Ok(());
        };
        Err(too_complex(refusal))
    }

    fn check_directives(&self, directives: &[Positioned<Directive>]) -> Result<(), Refusal> {
        if directives
            .iter()
            .any(|d| d.node.arguments.len() > MAX_ARGUMENTS)
        {
            return Err(too_many_arguments());
        }
        Ok(())
    }

    /// Fragment names, each after every fragment it spreads; a cycle is refused here
    /// with the validation rule's message, since nothing can be summarised around it.
    fn dependency_order(&mut self) -> Result<Vec<&'a str>, Refusal> {
        let mut spreads: HashMap<&'a str, Vec<(&'a str, Pos)>> =
            HashMap::with_capacity(self.document.fragments.len());
        let mut names: Vec<(&'a str, Pos)> = Vec::with_capacity(self.document.fragments.len());
        for (name, fragment) in &self.document.fragments {
            let mut found = Vec::new();
            self.collect_spreads(&fragment.node.selection_set.node, &mut found);
            spreads.insert(name.as_str(), found);
            names.push((name.as_str(), fragment.pos));
        }
        // Document order, so the same document always gets the same answer.
        names.sort_by_key(|(_, pos)| *pos);

        let mut marks: HashMap<&'a str, Mark> = HashMap::with_capacity(names.len());
        let mut order = Vec::with_capacity(names.len());
        // An explicit stack: a chain of thousands of fragments must not recurse.
        let mut path: Vec<(&'a str, usize)> = Vec::new();
        for (start, _) in names {
            if marks.contains_key(start) {
                continue;
            }
            marks.insert(start, Mark::OnPath(0));
            path.push((start, 0));
            while let Some(top) = path.last_mut() {
                let name = top.0;
                let edge = spreads.get(name).and_then(|edges| edges.get(top.1));
                let Some(&(target, pos)) = edge else {
                    marks.insert(name, Mark::Done);
                    order.push(name);
                    path.pop();
                    continue;
                };
                top.1 += 1;
                self.visits += 1;
                if !spreads.contains_key(target) {
                    // An unknown fragment: validation names it.
                    continue;
                }
                match marks.get(target) {
                    Some(Mark::Done) => {}
                    Some(Mark::OnPath(index)) => return Err(cycle(&path[*index..], target, pos)),
                    None => {
                        marks.insert(target, Mark::OnPath(path.len()));
                        path.push((target, 0));
                    }
                }
            }
        }
        Ok(order)
    }

    fn collect_spreads(&mut self, set: &'a SelectionSet, found: &mut Vec<(&'a str, Pos)>) {
        for item in &set.items {
            self.visits += 1;
            match &item.node {
                Selection::Field(field) => {
                    self.collect_spreads(&field.node.selection_set.node, found);
                }
                Selection::InlineFragment(inline) => {
                    self.collect_spreads(&inline.node.selection_set.node, found);
                }
                Selection::FragmentSpread(spread) => {
                    found.push((spread.node.fragment_name.node.as_str(), spread.pos));
                }
            }
        }
    }

    /// The summary of one selection set; every fragment it spreads is summarised
    /// already. Recursion follows the text only, which the parser bounds (64 levels).
    fn summarize(&mut self, set: &'a SelectionSet) -> Result<Summary, Refusal> {
        let mut summary = Summary::default();
        for item in &set.items {
            self.visits += 1;
            summary.selections = summary.selections.saturating_add(1);
            match &item.node {
                Selection::Field(field) => self.add_field(&mut summary, &field.node)?,
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    self.check_directives(&inline.directives)?;
                    summary.directives = summary.directives.saturating_add(inline.directives.len());
                    let inner = self.summarize(&inline.selection_set.node)?;
                    summary.spread(&inner);
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    self.check_directives(&spread.directives)?;
                    summary.directives = summary.directives.saturating_add(spread.directives.len());
                    // An unknown fragment adds nothing; validation names it.
                    let name = spread.fragment_name.node.as_str();
                    if let Some(inner) = self.summaries.get(name).copied() {
                        summary.spread(&inner);
                    }
                }
            }
        }
        Ok(summary)
    }

    fn add_field(&mut self, summary: &mut Summary, field: &'a Field) -> Result<(), Refusal> {
        if field.arguments.len() > MAX_ARGUMENTS {
            return Err(too_many_arguments());
        }
        self.check_directives(&field.directives)?;
        let children = &field.selection_set.node;
        let inner = self.summarize(children)?;
        let name = field.name.node.as_str();
        let lists = usize::from(INTROSPECTION_LISTS.contains(&name));
        let own = Fields {
            count: 1,
            depth: 1,
            lists,
        };

        summary.root_fields = summary.root_fields.saturating_add(1);
        summary.aliases = summary
            .aliases
            .saturating_add(usize::from(field.alias.is_some()))
            .saturating_add(inner.aliases);
        summary.directives = summary
            .directives
            .saturating_add(field.directives.len())
            .saturating_add(inner.directives);
        summary.selections = summary.selections.saturating_add(inner.selections);
        if !children.items.is_empty() {
            summary.nesting = summary.nesting.max(inner.nesting.saturating_add(1));
        }
        summary.schema_introspections = summary
            .schema_introspections
            .saturating_add(usize::from(name == "__schema"))
            .saturating_add(inner.schema_introspections);
        if INTROSPECTION_ROOTS.contains(&name) {
            // Everything below an introspection root is introspection.
            summary.introspection.add(own, 0, 0);
            summary.introspection.add(inner.outer, 1, lists);
        } else {
            summary.outer.add(own, 0, 0);
            summary.outer.add(inner.outer, 1, lists);
        }
        summary.introspection.add(inner.introspection, 1, lists);
        Ok(())
    }
}

fn too_many_arguments() -> Refusal {
    too_complex(format!(
        "A field or directive may take at most {MAX_ARGUMENTS} arguments."
    ))
}

/// graphql-js's message for the spec's NoFragmentCycles rule.
fn cycle(path: &[(&str, usize)], target: &str, pos: Pos) -> Refusal {
    let via: Vec<String> = path
        .iter()
        .skip(1)
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    let message = if via.is_empty() {
        format!("Cannot spread fragment \"{target}\" within itself.")
    } else {
        format!(
            "Cannot spread fragment \"{target}\" within itself via {}.",
            via.join(", ")
        )
    };
    Refusal {
        code: ErrorCode::GraphqlValidationFailed,
        message,
        pos: Some(pos),
    }
}

/// Whether `query` nests brackets too deep to be handed to the parser.
pub fn is_nested_too_deep(query: &str) -> bool {
    nests_deeper_than(query, MAX_TEXT_NESTING)
}

/// Whether brackets nest deeper than `limit` anywhere in `query`, outside strings and
/// comments. Unbalanced text is left to the parser to report.
fn nests_deeper_than(query: &str, limit: usize) -> bool {
    const BLOCK_QUOTE: &[u8] = b"\"\"\"";
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'#' => {
                while bytes.get(i).is_some_and(|b| !matches!(b, b'\n' | b'\r')) {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(BLOCK_QUOTE) => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(BLOCK_QUOTE) {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while bytes
                    .get(i)
                    .is_some_and(|b| !matches!(b, b'"' | b'\n' | b'\r'))
                {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    /// Parses the document once, refuses it or hands it on parsed, before the library's
    /// own checks see it. A document that does not parse is handed on as text: the
    /// library parses it again and reports the syntax error the usual way.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if is_nested_too_deep(&request.query) {
            return Err(refused(too_complex(format!(
                "The document nests brackets deeper than {MAX_TEXT_NESTING} levels."
            ))));
        }
        if let Ok(document) = request.parsed_query() {
            self.check(document).map_err(refused)?;
        }
        next.run(ctx, request).await
    }
}

fn refused(refusal: Refusal) -> ServerError {
    ApiError::new(refusal.code, refusal.message).into_server_error(refusal.pos)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;
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
}
