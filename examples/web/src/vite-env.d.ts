/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The GraphQL endpoint the page talks to; default http://localhost:8000/graphql. */
  readonly VITE_GRAPHQL_URL?: string;
}
