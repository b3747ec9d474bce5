import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run on the sources; only tests that spawn the real `symbiont` process use dist.
    alias: {
      "@symbiont/protocol": src("protocol"),
      "@symbiont/dsl": src("dsl"),
      "@symbiont/sdk": src("sdk"),
      "@symbiont/runtime": src("runtime"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
