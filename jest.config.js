// Three projects: unit (pure, no I/O), integration (real Redis, simulators) and e2e (a real n8n).
// `npm test` runs them all, serially (--runInBand): integration and e2e files share one Redis and the CPU.
// That Redis is INVSYNC_TEST_REDIS (e.g. redis://127.0.0.1:6379) when set; otherwise globalSetup starts a
// private redis-server on a free port for the run (test/support/globalSetup.js) and globalTeardown stops it.
const common = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
const withRedis = {
	globalSetup: '<rootDir>/test/support/globalSetup.js',
	globalTeardown: '<rootDir>/test/support/globalTeardown.js',
};
module.exports = {
	projects: [
		{ ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{
			...common,
			...withRedis,
			displayName: 'integration',
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
		},
		{ ...common, ...withRedis, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
	],
};
