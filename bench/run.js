#!/usr/bin/env node
// `npm run bench -- <name>` runs bench/<name>.ts (TypeScript through ts-node, transpile-only) which prints a
// table and writes bench/results/<name>.json. Benchmarks are measurements, not tests: they never fail on a figure.
const path = require('node:path');
const fs = require('node:fs');

const name = process.argv[2];
const available = fs
	.readdirSync(__dirname)
	.filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
	.map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
	console.error(`usage: npm run bench -- <name>   (one of: ${available.join(', ') || 'none yet'})`);
	process.exit(2);
}
require('ts-node').register({
	transpileOnly: true,
	project: path.join(__dirname, '..', 'tsconfig.json'),
});
// The Redis a benchmark uses is the tests' (test/support/globalSetup.js): INVSYNC_TEST_REDIS when given,
// otherwise a private redis-server on a free port, stopped at the end — never a developer's Redis on 6379.
const setup = require('../test/support/globalSetup.js');
const teardown = require('../test/support/globalTeardown.js');
(async () => {
	await setup();
	const mod = require(path.join(__dirname, `${name}.ts`));
	try {
		if (typeof mod.main === 'function') await mod.main(process.argv.slice(3));
	} finally {
		await teardown();
	}
})().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
