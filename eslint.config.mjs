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
];
