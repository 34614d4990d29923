#!/usr/bin/env bash
# Refreshes the GraphiQL playground assets embedded in the binary (src/http/graphiql.rs).
# Production builds from the npm registry, pinned; the service serves them itself so the
# playground works offline and under a strict Content-Security-Policy.
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=3.8.3 REACT=18.3.1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$work/$pkg" && tar xzf "$work/$pkg.tgz" -C "$work/$pkg"
done
cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" .
cp "$work/react-$REACT/package/umd/react.production.min.js" .
cp "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" .
cp "$work/graphiql-$GRAPHIQL/package/LICENSE" LICENSE.graphiql
cp "$work/react-$REACT/package/LICENSE" LICENSE.react
echo "graphiql@$GRAPHIQL react@$REACT react-dom@$REACT" > VERSIONS
