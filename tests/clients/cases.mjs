// Runs the case named by argv[2] from a table of async functions: exit 0
// and "ok CASE" when every assertion held, 1 with the error otherwise,
// 2 for an unknown case.
export async function runCase(cases) {
  const name = process.argv[2];
  if (!cases[name]) {
    console.error(`unknown case ${name}; cases: ${Object.keys(cases).join(' ')}`);
    process.exit(2);
  }
  try {
    await cases[name]();
    console.log(`ok ${name}`);
  } catch (e) {
    console.error(`FAIL ${name}:`, e);
    process.exit(1);
  }
}
