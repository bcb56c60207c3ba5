import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	{
		files: ['package.json'],
		rules: {
			// This package exists to use Redis (ioredis), so a runtime dependency is unavoidable. n8n Cloud
			// does not allow them; the package targets self-hosted n8n, as the README says.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		// The Inventory Receiver (receiver/) is a standalone server and CLI, not an n8n node: it runs outside
		// n8n, so a rule about how node code reports errors to n8n does not apply to it.
		files: ['receiver/**/*.ts'],
		rules: {
			// NodeApiError/NodeOperationError carry an n8n node into the editor's error view; the receiver has no
			// node and no editor: its errors are its own (ReceiverConfigError), printed by the CLI.
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
	{
		// The demo (npm run demo) is a script that starts n8n, Redis and the simulators, not an n8n node: the rules
		// about what node code may spawn and how it reports errors to the editor do not apply to it.
		files: ['demo/**/*.ts', 'demo/**/*.js'],
		rules: {
			'@n8n/community-nodes/no-dangerous-functions': 'off',
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
	{
		// The chaos run (npm run chaos) kills and starts redis-server and n8n processes: a script, not an n8n node.
		files: ['chaos/**/*.ts', 'chaos/**/*.js'],
		rules: {
			'@n8n/community-nodes/no-dangerous-functions': 'off',
			'@n8n/community-nodes/require-node-api-error': 'off',
			'no-console': 'off',
		},
	},
];
