#!/usr/bin/env node
// `npm run chaos [-- --events N --skus N --outage S --no-faults --no-sentinel --out FILE]`: chaos/main.ts
// (TypeScript through ts-node, transpile-only, as the benchmarks run). Writes bench/results/chaos.json.
const path = require('node:path');

require('ts-node').register({
	transpileOnly: true,
	project: path.join(__dirname, '..', 'tsconfig.json'),
});
require('./main.ts')
	.main(process.argv.slice(2))
	.then(
		(code) => process.exit(code),
		(error) => {
			console.error(error instanceof Error ? error.stack : error);
			process.exit(1);
		},
	);
