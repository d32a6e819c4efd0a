// Reads the output of `pnpm test` and prints how many tests ran, per suite and in all. Vitest's and
// Playwright's own summaries are scattered through a long log; this puts the count on the last line,
// as "Tests: N passed, N failed", where CI reads it.
//
// Usage: node .ci/summarize-tests.mjs <log file> <exit status of pnpm test>
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

const [logFile, statusArg = '1'] = process.argv.slice(2);
if (!logFile) {
  process.stderr.write('usage: summarize-tests.mjs <log file> <exit status>\n');
  process.exit(2);
}
const status = Number(statusArg);
// Colours off: the runners colour their output even into a pipe.
const lines = stripVTControlCharacters(readFileSync(logFile, 'utf8')).split(/\r?\n/);

const suites = [];
const totals = { passed: 0, failed: 0, skipped: 0 };
let currentPackage = 'unknown package';
let inPlaywright = false;
let playwright = null;

function count(text, word) {
  const match = new RegExp(`(\\d+) ${word}\\b`).exec(text);
  return match ? Number(match[1]) : 0;
}

for (const line of lines) {
  // "> @parley/server@0.1.0 test /work/main/apps/server": pnpm announcing a package's test script.
  const script = /^> (@?[\w./-]+)@\S* test\b/.exec(line);
  if (script) currentPackage = script[1];

  // Vitest: "      Tests  2 failed | 85 passed | 1 skipped (88)". ("Test Files" lines count files.)
  const vitest = /(?:^|\s)Tests\s{2,}(.*)\(\d+\)\s*$/.exec(line);
  if (vitest && !inPlaywright) {
    suites.push({
      name: `vitest ${currentPackage}`,
      passed: count(vitest[1], 'passed'),
      failed: count(vitest[1], 'failed'),
      skipped: count(vitest[1], 'skipped') + count(vitest[1], 'todo'),
    });
    continue;
  }

  // Playwright's list reporter: "Running 12 tests using 2 workers", then "  11 passed (20.1s)", "  1 failed"...
  if (/^Running \d+ tests? using \d+ workers?/.test(line)) {
    inPlaywright = true;
    playwright = { name: 'playwright e2e', passed: 0, failed: 0, skipped: 0 };
    suites.push(playwright);
    continue;
  }
  const outcome =
    inPlaywright && /^\s+(\d+) (passed|failed|flaky|skipped|interrupted|did not run)\b/.exec(line);
  if (outcome) {
    const n = Number(outcome[1]);
    const kind = outcome[2];
    if (kind === 'passed') playwright.passed += n;
    else if (kind === 'failed' || kind === 'interrupted') playwright.failed += n;
    // Retries are off, so a flaky test cannot pass; should they be turned on, one is no pass.
    else if (kind === 'flaky') playwright.failed += n;
    else playwright.skipped += n;
  }
}

const out = [];
if (suites.length === 0)
  out.push('  No test runner reported any result (pnpm test stopped before the tests).');
for (const suite of suites) {
  totals.passed += suite.passed;
  totals.failed += suite.failed;
  totals.skipped += suite.skipped;
  const skipped = suite.skipped ? `, ${suite.skipped} skipped` : '';
  out.push(`  ${suite.name.padEnd(28)} ${suite.passed} passed, ${suite.failed} failed${skipped}`);
}
if (status === 0) {
  out.push('', 'Result: PASS (pnpm test exited 0)');
} else if (status === 124) {
  out.push('', 'Result: FAIL (pnpm test timed out and was stopped)');
} else {
  out.push(
    '',
    `Result: FAIL (pnpm test exited ${status}; the first error is above, search for "ERR" or "FAIL")`,
  );
}
const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
out.push(`Tests: ${totals.passed} passed, ${totals.failed} failed${skipped}`);
process.stdout.write(`${out.join('\n')}\n`);
