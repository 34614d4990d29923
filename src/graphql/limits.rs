//! Limits on what one document may ask, checked right after parsing: depth, field
//! count (complexity), aliases and root fields. async-graphql has depth and complexity
//! limits of its own, but they count introspection too (GraphiQL's schema query is
//! deeper than any real one) and know nothing of aliases, which turn one `login` into
//! fifty.
use std::{collections::HashSet, sync::Arc};

use async_graphql::{
    ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet},
};

use super::error::ErrorCode;
use crate::config::GraphqlSettings;

#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub allow_introspection: bool,
}

/// Why a document is refused before it runs.
struct Refusal {
    code: ErrorCode,
    message: String,
}

fn too_complex(message: String) -> Refusal {
    Refusal {
        code: ErrorCode::QueryTooComplex,
        message,
    }
}

impl QueryLimits {
    pub fn from_settings(settings: &GraphqlSettings) -> Self {
        Self {
            max_depth: settings.max_depth,
            max_complexity: settings.max_complexity,
            max_aliases: settings.max_aliases,
            max_root_fields: settings.max_root_fields,
            allow_introspection: settings.introspection,
        }
    }

    /// The first limit `document` exceeds, as a message for people.
    fn check(&self, document: &ExecutableDocument) -> Result<(), Refusal> {
        for (_, operation) in document.operations.iter() {
            let mut counter = Counter {
                document,
                limits: self,
                complexity: 0,
                aliases: 0,
                expanding: HashSet::new(),
            };
            let selection_set = &operation.node.selection_set.node;
            let root_fields = counter.root_fields(selection_set, 0);
            if root_fields > self.max_root_fields {
                return Err(too_complex(format!(
                    "An operation may select at most {} root fields.",
                    self.max_root_fields
                )));
            }
            counter.walk(selection_set, 1)?;
        }
        Ok(())
    }
}

struct Counter<'a> {
    document: &'a ExecutableDocument,
    limits: &'a QueryLimits,
    complexity: usize,
    aliases: usize,
    /// Fragments on the current path; a cycle is left to validation to report.
    expanding: HashSet<&'a str>,
}

const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];

impl<'a> Counter<'a> {
    fn fragment(&self, name: &str) -> Option<&'a FragmentDefinition> {
        self.document.fragments.get(name).map(|f| &f.node)
    }

    fn root_fields(&mut self, set: &'a SelectionSet, guard: usize) -> usize {
        if guard > 32 {
            return 0;
        }
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => {
                    self.root_fields(&inline.node.selection_set.node, guard + 1)
                }
                Selection::FragmentSpread(spread) => self
                    .fragment(&spread.node.fragment_name.node)
                    .map(|f| self.root_fields(&f.selection_set.node, guard + 1))
                    .unwrap_or(0),
            })
            .sum()
    }

    fn walk(&mut self, set: &'a SelectionSet, depth: usize) -> Result<(), Refusal> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if INTROSPECTION_ROOTS.contains(&field.name.node.as_str()) {
                        // Introspection is switched on or off as a whole; its own
                        // shape is fixed by the GraphQL spec, so no limit applies.
                        if !self.limits.allow_introspection {
                            return Err(Refusal {
                                code: ErrorCode::GraphqlValidationFailed,
                                message: "Introspection is disabled on this server.".into(),
                            });
                        }
                        continue;
                    }
                    if depth > self.limits.max_depth {
                        return Err(too_complex(format!(
                            "The query is nested deeper than {} levels.",
                            self.limits.max_depth
                        )));
                    }
                    self.complexity += 1;
                    if self.complexity > self.limits.max_complexity {
                        return Err(too_complex(format!(
                            "The query selects more than {} fields.",
                            self.limits.max_complexity
                        )));
                    }
                    if field.alias.is_some() {
                        self.aliases += 1;
                        if self.aliases > self.limits.max_aliases {
                            return Err(too_complex(format!(
                                "The query uses more than {} aliases.",
                                self.limits.max_aliases
                            )));
                        }
                    }
                    self.walk(&field.selection_set.node, depth + 1)?;
                }
                Selection::InlineFragment(inline) => {
                    self.walk(&inline.node.selection_set.node, depth)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.fragment(name) else {
                        continue;
                    };
                    if !self.expanding.insert(name) {
                        continue;
                    }
                    let result = self.walk(&fragment.selection_set.node, depth);
                    self.expanding.remove(name);
                    result?;
                }
            }
        }
        Ok(())
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        self.check(&document).map_err(|refusal| {
            let mut err = ServerError::new(refusal.message, None);
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", refusal.code.as_str());
            err
        })?;
        Ok(document)
    }
}
