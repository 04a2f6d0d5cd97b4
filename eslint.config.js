// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  ...importBoundaries(),
  consolePage(),
);

/**
 * The monitor's console page (src/monitor/ui/page) runs in the browser, not in Node: browser globals, and
 * names (user data) are only ever written as text, never as HTML.
 */
function consolePage() {
  const browser = ["window", "document", "navigator", "EventSource", "ResizeObserver", "getComputedStyle"];
  return {
    files: ["src/monitor/ui/page/**/*.{ts,tsx}"],
    languageOptions: {
      globals: Object.fromEntries(browser.map((name) => [name, "readonly"])),
    },
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
          message: "The console writes every name as text: no dangerouslySetInnerHTML.",
        },
        {
          selector: "MemberExpression[property.name=/^(innerHTML|outerHTML)$/]",
          message: "The console writes every name as text: no innerHTML/outerHTML.",
        },
      ],
    },
  };
}

/**
 * Import boundaries (docs/ARCHITECTURE.md, docs/decisions/0080-broker-admin-layer.md): features reach a
 * transport only through its public face (`mod.js`) or its pure layout (`layout.js`), the audit's sources
 * stay the audit's, and product code never imports the test helpers. Transports, the test helpers and test
 * files are exempt. Static imports are checked by `no-restricted-imports`, `import()` by
 * `no-restricted-syntax`.
 */
function importBoundaries() {
  const transportInternals = {
    regex: "(^|/)transports/(amqp|redis|memory)/(?!(mod|layout)\\.js$).+",
    message:
      "Features import a transport only through transports/<name>/mod.js, or transports/<name>/layout.js for its pure layout (names, plans, Lua, entry codec). Add what you need to layout.ts as a re-export.",
  };
  const auditSources = {
    regex: "(^|/)audit/sources/",
    message:
      "audit/sources is the audit's own. Import audit features from audit/mod.js; management API, admin Redis connection and live stream readers from src/brokers/.",
  };
  const testHelpers = {
    regex: "(^|/)testing/",
    message:
      "Product code never imports src/testing (it loads vitest). Broker launchers, the fault proxy and waitFor live in src/brokers/local/.",
  };
  /** The same patterns for `import("…")`, which no-restricted-imports does not see. */
  const dynamic = (patterns) =>
    patterns.map((p) => ({
      selector: `ImportExpression > Literal[value=/${p.regex.replaceAll("/", "\\/")}/]`,
      message: p.message,
    }));
  const rules = (patterns) => ({
    "no-restricted-imports": ["error", { patterns: patterns.map((p) => ({ ...p })) }],
    "no-restricted-syntax": ["error", ...dynamic(patterns)],
  });
  const exempt = ["src/transports/**", "src/testing/**", "src/**/*.test.ts"];
  return [
    {
      files: ["src/**/*.ts"],
      ignores: [...exempt, "src/audit/**"],
      rules: rules([transportInternals, auditSources, testHelpers]),
    },
    {
      files: ["src/audit/**/*.ts"],
      ignores: exempt,
      rules: rules([transportInternals, testHelpers]),
    },
  ];
}
