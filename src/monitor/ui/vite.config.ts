/**
 * Builds the operator's console (the page of `mqa monitor --port`) from ./page into dist/ui/: one HTML file,
 * one script and one stylesheet with hashed names, Preact and uPlot bundled in, so the page fetches nothing
 * from the network at run time and the server's CSP can say `script-src 'self'`. Run by `npm run build`
 * after tsc; src/monitor/console-assets.ts serves the result. docs/decisions/0061-monitor-console.md.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig({
  root: here("./page/"),
  // Relative asset URLs: the page works behind a proxy that serves it under a path prefix.
  base: "./",
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: here("../../../dist/ui/"),
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or data: URLs in the output: the CSP allows only files from the server itself.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
