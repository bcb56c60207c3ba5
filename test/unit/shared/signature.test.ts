import fc from 'fast-check';
import { computeSignature, verifySignature } from '../../../nodes/shared/signature';

// Vectors computed independently with: printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64
const VECTORS = [
	{
		secret: 'topsecret',
		body: '{"a":1}',
		signature: 'vx5lAbf6ko7COR/qndkK88mtG3se9v8xnCWUDOx0a/g=',
	},
	{
		secret: 'topsecret',
		body: '{"inventory_item_id":271878346596884015,"location_id":1,"available":5}',
		signature: 'LB+1DxmCPzfS5ZKi2HVqakzfVCo6FrD/BOxap+ZWkvQ=',
	},
	{
		secret: 'prev-secret',
		body: '{"a":1}',
		signature: 'QDF2s0X16f5BLkxLPnubvA8Q6PScjpHVMbUCJ4OlaA8=',
	},
	{
		secret: 'prev-secret',
		body: '{"inventory_item_id":271878346596884015,"location_id":1,"available":5}',
		signature: '3aeeHWBh4iKuo954Nn/DM2vHYlDBJj3szoQMOYU0g7c=',
	},
];

describe('computeSignature', () => {
	it.each(VECTORS)('matches openssl for $secret / $body', ({ secret, body, signature }) => {
		expect(computeSignature(Buffer.from(body), secret)).toBe(signature);
	});
});

describe('verifySignature', () => {
	const secrets = { current: 'topsecret', previous: 'prev-secret' };

	it('accepts the current and the previous secret, and says which', () => {
		expect(verifySignature(Buffer.from(VECTORS[0].body), VECTORS[0].signature, secrets)).toBe(
			'current',
		);
		expect(verifySignature(Buffer.from(VECTORS[2].body), VECTORS[2].signature, secrets)).toBe(
			'previous',
		);
	});

	it('rejects a tampered body, a wrong secret, a missing or malformed header', () => {
		const body = Buffer.from(VECTORS[0].body);
		expect(verifySignature(Buffer.from('{"a":2}'), VECTORS[0].signature, secrets)).toBeNull();
		expect(verifySignature(body, VECTORS[0].signature, { current: 'other' })).toBeNull();
		expect(verifySignature(body, undefined, secrets)).toBeNull();
		expect(verifySignature(body, '', secrets)).toBeNull();
		expect(verifySignature(body, 'not base64 at all', secrets)).toBeNull();
		expect(verifySignature(body, VECTORS[0].signature.slice(0, 20), secrets)).toBeNull();
		expect(verifySignature(body, `${VECTORS[0].signature}AA`, secrets)).toBeNull();
	});

	it('signs the bytes, not a re-serialisation: whitespace and key order matter', () => {
		const signature = computeSignature(Buffer.from('{"a":1,"b":2}'), 'k');
		expect(verifySignature(Buffer.from('{"a":1,"b":2}'), signature, { current: 'k' })).toBe(
			'current',
		);
		expect(verifySignature(Buffer.from('{"b":2,"a":1}'), signature, { current: 'k' })).toBeNull();
		expect(verifySignature(Buffer.from('{"a": 1,"b":2}'), signature, { current: 'k' })).toBeNull();
	});

	it('never treats an unset secret as a key', () => {
		const body = Buffer.from('{}');
		expect(
			verifySignature(body, computeSignature(body, ''), { current: '', previous: undefined }),
		).toBeNull();
	});

	it('property: a body verifies exactly when it was signed with one of the two secrets', () => {
		fc.assert(
			fc.property(
				fc.uint8Array({ maxLength: 2048 }),
				fc.string({ minLength: 1, maxLength: 64 }),
				fc.string({ minLength: 1, maxLength: 64 }),
				fc.string({ minLength: 1, maxLength: 64 }),
				(bytes, current, previous, signer) => {
					const body = Buffer.from(bytes);
					const signature = computeSignature(body, signer);
					const result = verifySignature(body, signature, { current, previous });
					const expected = signer === current ? 'current' : signer === previous ? 'previous' : null;
					return result === expected;
				},
			),
			{ numRuns: 500 },
		);
	});

	it('property: any change to a signed body fails verification', () => {
		fc.assert(
			fc.property(
				fc.uint8Array({ minLength: 1, maxLength: 512 }),
				fc.nat(),
				fc.integer({ min: 1, max: 255 }),
				(bytes, at, flip) => {
					const body = Buffer.from(bytes);
					const signature = computeSignature(body, 's');
					const changed = Buffer.from(body);
					changed[at % changed.length] ^= flip;
					return verifySignature(changed, signature, { current: 's' }) === null;
				},
			),
			{ numRuns: 300 },
		);
	});
});
