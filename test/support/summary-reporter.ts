import type { Reporter, TestModule } from "vitest/node";

/**
 * Ends the run with the plain closing line CI reads (`tests: N passed, N failed, N skipped`) and
 * names what was skipped, so a laptop run without Postgres or Redis says what it did not cover.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedSuites = new Set<string>();
    for (const module of testModules) {
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed += 1;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failed += 1;
        else {
          skipped += 1;
          const suite = test.parent.type === "suite" ? test.parent.name : module.moduleId;
          skippedSuites.add(suite);
        }
      }
    }
    if (skippedSuites.size > 0) {
      console.log(`\nSkipped suites (set the service URLs to run them): ${[...skippedSuites].join("; ")}`);
    }
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
