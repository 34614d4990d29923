// Mounts GraphiQL on the page served at GET /graphql. A file of its own, not an inline
// script, so the page works under `script-src 'self'`.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      // Never write the headers (the Authorization bearer token) to localStorage,
      // where any script on this origin could read them; `false` also hides the toggle.
      shouldPersistHeaders: false,
    }),
  );
})();
