#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script).
import("../dist/cli/main.js").then(
  (cli) => cli.main(process.argv),
  (err) => {
    if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
      console.error("mqa: dist/ is missing. Run `npm install` (or `npm run build`) in the mqa folder first.");
      process.exit(1);
    }
    throw err;
  },
);
