// jest globalTeardown: stops the private redis-server of globalSetup.js (if it started one) and removes its folder.
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
	const server = globalThis.__INVSYNC_TEST_REDIS__;
	if (!server) return;
	globalThis.__INVSYNC_TEST_REDIS__ = undefined;
	delete process.env.INVSYNC_TEST_REDIS;
	const { child, dir } = server;
	if (child.exitCode === null && child.signalCode === null) {
		await new Promise((resolve) => {
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
				resolve();
			}, 5_000);
			child.once('exit', () => {
				clearTimeout(timer);
				resolve();
			});
			child.kill('SIGTERM');
		});
	}
	rmSync(dir, { recursive: true, force: true });
};
