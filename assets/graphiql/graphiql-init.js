// Mounts GraphiQL on the page served at GET /graphql. A file of its own, not an inline
// script, so the page works under `script-src 'self'`.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: true,
    }),
  );
})();
