//! Starting up: several instances at once on one fresh database.
use crate::{
    backend_tests,
    helpers::{Backend, TestDatabase, spawn_app_on, spawn_replica},
};

backend_tests!(instances_starting_at_once_migrate_safely);

async fn instances_starting_at_once_migrate_safely(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let url = db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let starts = (0..3).map(|_| {
        let settings = crate::helpers::test_settings(&url, dir.path(), &[]);
        async move {
            graphql_auth::startup::Application::build(&settings)
                .await
                .map(|_| ())
        }
    });
    for started in futures::future::join_all(starts).await {
        started.expect("every instance starts");
    }
    let app = spawn_app_on(db, &[]).await;
    let replica = spawn_replica(&app, &[]).await;
    let me = app.register("amina").await;
    assert_eq!(replica.whoami(&me.access).await, Ok(me.user_id));
}
