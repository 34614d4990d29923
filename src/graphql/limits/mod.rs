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
mod analysis;
mod brackets;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_graphql::{
    Pos, Request, ServerError, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
    parser::types::ExecutableDocument,
};

pub use self::brackets::is_nested_too_deep;
use self::{analysis::Analyser, brackets::MAX_TEXT_NESTING};
use super::error::{ApiError, ErrorCode};
use crate::config::GraphqlSettings;

/// How deep selections may nest, counting fragment spreads and inline fragments as
/// levels the way async-graphql's recursion check does. `build_schema` gives the same
/// number to that check, so a document refused for nesting gets our message.
pub const MAX_NESTING: usize = 32;

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
    ApiError::about_document(refusal.code, refusal.message).into_server_error(refusal.pos)
}
