import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Fault tests start their own broker processes; keep parallelism within the 2-core budget.
    maxWorkers: 2,
  },
});
