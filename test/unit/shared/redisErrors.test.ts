import { ReplyError } from 'ioredis';
import {
	RedisPolicyError,
	classifyRedisError,
	credentialFromData,
	describeRedisError,
	isRedisError,
} from '../../../nodes/shared/redis';

// Errors are said as what they are (issue 15, item 5): a log line may blame Redis only for Redis's errors.
describe('isRedisError', () => {
	it('is true for server replies and lost, refused or timed-out connections', () => {
		const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), {
			code: 'ECONNREFUSED',
		});
		const retries = Object.assign(
			new Error('Reached the max retries per request limit (which is 1).'),
			{ name: 'MaxRetriesPerRequestError' },
		);
		for (const error of [
			new ReplyError('NOSCRIPT No matching script'),
			refused,
			retries,
			new Error('Connection is closed.'),
		]) {
			expect(isRedisError(error)).toBe(true);
		}
	});

	it('is false for our own bugs and bad data', () => {
		for (const error of [
			new TypeError('(delivery.headers[name] ?? "").trim is not a function'),
			new SyntaxError('Unexpected token'),
			'text',
			undefined,
		]) {
			expect(isRedisError(error)).toBe(false);
		}
	});
});

describe('classifyRedisError', () => {
	const reply = (message: string) => new ReplyError(message);
	it('names the kind from the reply code or the connection error, and which ones a user must fix', () => {
		const cases: Array<[unknown, string, boolean]> = [
			[new RedisPolicyError("Redis at x has maxmemory-policy 'allkeys-lru'"), 'policy', true],
			[reply('WRONGPASS invalid username-password pair or user is disabled.'), 'auth', true],
			[reply('NOAUTH Authentication required.'), 'auth', true],
			[reply("NOPERM User u has no permissions to run the 'evalsha' command"), 'permission', true],
			[
				reply('WRONGTYPE Operation against a key holding the wrong kind of value'),
				'wrongType',
				true,
			],
			[
				reply(
					"NOGROUP No such key 't-timeout-tls:inbox' or consumer group 'g' in XREADGROUP with GROUP option",
				),
				'noGroup',
				false,
			],
			[reply('BUSYGROUP Consumer Group name already exists'), 'busyGroup', false],
			[reply('NOSCRIPT No matching script'), 'reply', false],
			[reply('ERR no such key'), 'noSuchKey', false],
			[
				Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }),
				'refused',
				false,
			],
			[new Error('Command timed out'), 'timeout', false],
			[new Error('getaddrinfo ENOTFOUND redis.invalid'), 'notFound', false],
			[new Error('self-signed certificate in certificate chain'), 'tls', false],
			[
				new Error("Stream isn't writeable and enableOfflineQueue options is false"),
				'disconnected',
				false,
			],
			[new Error('Connection is closed.'), 'disconnected', false],
			[
				Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
					name: 'MaxRetriesPerRequestError',
				}),
				'retriesSpent',
				false,
			],
			[new TypeError('x.trim is not a function'), 'other', false],
			['text', 'other', false],
		];
		for (const [error, kind, configuration] of cases) {
			expect({ error: String(error), ...classifyRedisError(error) }).toMatchObject({
				error: String(error),
				kind,
				configuration,
			});
		}
	});

	it('describeRedisError says the kind in words, names the server, never the password', () => {
		const cred = credentialFromData({
			host: '10.0.0.5',
			port: 6380,
			user: 'u',
			password: 'hunter2',
		});
		const say = (error: unknown) => describeRedisError(error, cred);
		expect(say(reply('WRONGPASS invalid username-password pair'))).toBe(
			'Redis at 10.0.0.5:6380: authentication failed (wrong user or password)',
		);
		expect(say(new Error('connect ECONNREFUSED 10.0.0.5:6380'))).toBe(
			'Redis at 10.0.0.5:6380: connection refused',
		);
		expect(say(new Error('Command timed out'))).toBe('Redis at 10.0.0.5:6380: timed out');
		expect(say(new Error('getaddrinfo EAI_AGAIN x'))).toBe(
			'Redis at 10.0.0.5:6380: host not found',
		);
		expect(say(new Error('unable to verify: self signed certificate\nmore'))).toBe(
			'Redis at 10.0.0.5:6380: TLS failed (unable to verify: self signed certificate)',
		);
		expect(say(new Error('Connection is closed.'))).toBe(
			'Redis at 10.0.0.5:6380: not connected (connection lost; reconnecting)',
		);
		expect(say(reply('NOPERM no permissions'))).toBe(
			'Redis at 10.0.0.5:6380: permission denied for this ACL user (NOPERM no permissions)',
		);
		expect(say(reply('ERR unknown command, password hunter2'))).toBe(
			'Redis at 10.0.0.5:6380: ERR unknown command, password ***',
		);
		expect(say(new RedisPolicyError('policy text'))).toBe('policy text');
	});
});
