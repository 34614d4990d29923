//! The one pass over a parsed document: each named fragment summarised once, in
//! dependency order, and every operation checked against the limits.
use std::collections::HashMap;

use async_graphql::{
    Pos, Positioned,
    parser::types::{Directive, ExecutableDocument, Field, Selection, SelectionSet},
};

use super::*;

/// Fields of one budget (ordinary or introspection) below some point: how many, how
/// deep (1 = directly there) and how many introspection lists deep.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Fields {
    pub(super) count: usize,
    pub(super) depth: usize,
    pub(super) lists: usize,
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
pub(super) struct Summary {
    /// Fields at the top level, through spreads and inline fragments.
    pub(super) root_fields: usize,
    pub(super) aliases: usize,
    pub(super) directives: usize,
    /// Fields, spreads and inline fragments, each fragment expanded where spread.
    pub(super) selections: usize,
    /// Levels as async-graphql's recursion check counts them (spreads and inline
    /// fragments are levels too).
    pub(super) nesting: usize,
    pub(super) schema_introspections: usize,
    /// Fields outside any `__schema`/`__type` of this set: which budget they use
    /// depends on where the set is used (a fragment on `__Type` spread inside
    /// `__schema` is introspection).
    pub(super) outer: Fields,
    /// Fields under a `__schema` or `__type` of this set.
    pub(super) introspection: Fields,
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

pub(super) struct Analyser<'a> {
    document: &'a ExecutableDocument,
    limits: &'a QueryLimits,
    summaries: HashMap<&'a str, Summary>,
    /// Selections of every definition, expanded (`MAX_DOCUMENT_SELECTIONS`).
    pub(super) in_all: usize,
    /// Selections looked at; the unit tests hold it to a multiple of the document size.
    pub(super) visits: usize,
}

impl<'a> Analyser<'a> {
    pub(super) fn new(document: &'a ExecutableDocument, limits: &'a QueryLimits) -> Self {
        Self {
            document,
            limits,
            summaries: HashMap::with_capacity(document.fragments.len()),
            in_all: 0,
            visits: 0,
        }
    }

    pub(super) fn run(&mut self) -> Result<(), Refusal> {
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
    pub(super) fn summarize(&mut self, set: &'a SelectionSet) -> Result<Summary, Refusal> {
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
