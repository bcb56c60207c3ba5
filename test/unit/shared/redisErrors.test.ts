import { ReplyError } from 'ioredis';
import { isRedisError } from '../../../nodes/shared/redis';

// Errors are said as what they are (issue 15, item 5): a log line may blame Redis only for Redis's errors.
describe('isRedisError', () => {
	it('is true for server replies and lost, refused or timed-out connections', () => {
		const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
		const retries = Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' });
		for (const error of [new ReplyError('NOSCRIPT No matching script'), refused, retries, new Error('Connection is closed.')]) {
			expect(isRedisError(error)).toBe(true);
		}
	});

	it('is false for our own bugs and bad data', () => {
		for (const error of [new TypeError('(delivery.headers[name] ?? "").trim is not a function'), new SyntaxError('Unexpected token'), 'text', undefined]) {
			expect(isRedisError(error)).toBe(false);
		}
	});
});
