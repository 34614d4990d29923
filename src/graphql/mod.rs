//! The GraphQL schema: per-feature slices merged at the root, request-scoped data,
//! limits, and the single mapping of errors to contract codes.
mod account;
pub mod caller;
pub mod error;
mod events;
mod limits;
mod loaders;
mod mfa;
mod passkeys;
mod recovery;
mod scalars;
mod sessions;
mod staff;
mod types;

use async_graphql::{
    EmptySubscription, MergedObject, Request, Schema, SchemaBuilder, dataloader::DataLoader,
};

use crate::{auth::AuthService, config::GraphqlSettings};
use caller::Caller;
use loaders::{ActiveSessionsLoader, MfaStatusLoader, PasskeysLoader, UserLoader};

/// What can be read: the caller's account, sessions and trail; staff's views.
#[derive(MergedObject, Default)]
pub struct Query(
    account::AccountQuery,
    sessions::SessionQuery,
    events::EventQuery,
    staff::StaffQuery,
);

/// Everything that signs in, changes or ends something.
#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AccountMutation,
    sessions::SessionMutation,
    recovery::RecoveryMutation,
    mfa::MfaMutation,
    passkeys::PasskeyMutation,
    staff::StaffMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .register_output_type::<error::ErrorCode>()
        .extension(error::ContractErrorCodes)
}

/// The schema the server runs, with its shared services and limits.
pub fn build_schema(auth: AuthService, limits: &GraphqlSettings) -> AppSchema {
    let mut builder = builder()
        .data(auth)
        .extension(limits::QueryLimits::from_settings(limits))
        // async-graphql's own nesting check; ours runs first with the same bound.
        .limit_recursive_depth(limits::MAX_NESTING);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        // "Did you mean …?" would spell out field names to anyone without introspection.
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// Whether `query` nests too deep to parse safely: the parser recurses once per
/// bracket, and a few thousand levels abort the process. Anything that parses a
/// document before the schema does (the GET handler's mutation check) asks first.
pub fn is_nested_too_deep(query: &str) -> bool {
    limits::is_nested_too_deep(query)
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
        .data(DataLoader::new(MfaStatusLoader(auth.clone()), tokio::spawn))
        .data(DataLoader::new(PasskeysLoader(auth.clone()), tokio::spawn))
}
