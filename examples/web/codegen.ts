import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for the schema the server builds (checked in at the repository root) and for
// the operations this example sends. Documents are emitted as plain strings: the
// client posts them as they are, so no GraphQL parser ships to the browser.
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: "src/**/*.graphql",
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: "string" },
        useTypeImports: true,
      },
    },
  },
};

export default config;
