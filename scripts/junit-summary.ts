/**
 * Prints the one closing line CI reads, `N passed, N failed`, from Bun's JUnit report.
 * Counts come from the report's <testcase> elements: a failure or error child fails it, a skipped
 * child leaves it out of both counts.
 */
export {};

const path = process.argv[2];
if (!path) throw new Error("usage: bun scripts/junit-summary.ts <junit.xml>");
const xml = await Bun.file(path).text();
let passed = 0;
let failed = 0;
let skipped = 0;
for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  const inner = match[2] ?? "";
  if (/<(failure|error)\b/.test(inner)) failed++;
  else if (/<skipped\b/.test(inner)) skipped++;
  else passed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
