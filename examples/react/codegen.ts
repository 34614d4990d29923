import type { CodegenConfig } from "@graphql-codegen/cli";

// Types from the schema the server builds (checked in at the repository root) and from
// the operations in src/operations.graphql. An operation that no longer validates
// fails codegen; a type change the code does not handle fails `tsc`.
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: "src/**/*.graphql",
  generates: {
    // Every enum of the schema as a const object and a union type, `ErrorCode` among
    // them: no field returns it, it is there so clients get `extensions.code` typed.
    "src/generated/schema.ts": {
      plugins: ["typescript"],
      config: { onlyEnums: true, enumsAsConst: true },
    },
    // The operations' result and variable types, and typed documents urql takes as is.
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        enumType: "string-literal",
        strictScalars: true,
        scalars: { DateTime: "string" },
        useTypeImports: true,
      },
    },
  },
};

export default config;
