//! The GraphQL schema: per-feature slices merged at the root, request-scoped data,
//! limits, and the single mapping of errors to contract codes.
mod account;
pub mod caller;
pub mod error;
mod events;
mod limits;
mod loaders;
mod recovery;
mod sessions;
mod staff;
mod types;

use async_graphql::{
    EmptySubscription, MergedObject, Request, Schema, SchemaBuilder, dataloader::DataLoader,
};

use crate::{auth::AuthService, config::GraphqlSettings};
use caller::Caller;
use loaders::{ActiveSessionsLoader, UserLoader};

#[derive(MergedObject, Default)]
pub struct Query(
    account::AccountQuery,
    sessions::SessionQuery,
    events::EventQuery,
    staff::StaffQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AccountMutation,
    sessions::SessionMutation,
    recovery::RecoveryMutation,
    staff::StaffMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .extension(error::ContractErrorCodes)
}

/// The schema the server runs, with its shared services and limits.
pub fn build_schema(auth: AuthService, limits: &GraphqlSettings) -> AppSchema {
    let mut builder = builder()
        .data(auth)
        .extension(limits::QueryLimits::from_settings(limits))
        // Bounds the parser's recursion, before any of our limits can look.
        .limit_recursive_depth(64);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The SDL that `schema.graphql` must equal.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Attaches what belongs to one HTTP request: who calls, and fresh DataLoaders so
/// nothing is cached across requests.
pub fn with_request_data(request: Request, auth: &AuthService, caller: Caller) -> Request {
    request
        .data(caller)
        .data(DataLoader::new(UserLoader(auth.clone()), tokio::spawn))
        .data(DataLoader::new(
            ActiveSessionsLoader(auth.clone()),
            tokio::spawn,
        ))
}
