import fc from 'fast-check';
import { escapeKeyPart, inboxKey, validatePrefix } from '../../../nodes/shared/keys';

describe('escapeKeyPart', () => {
	it('leaves safe text alone and escapes everything else', () => {
		expect(escapeKeyPart('SKU-1.a_b')).toBe('SKU-1.a_b');
		expect(escapeKeyPart('a:b')).toBe('a%3Ab');
		expect(escapeKeyPart('{x} y\n')).toBe('%7Bx%7D%20y%0A');
		expect(escapeKeyPart('é')).toBe('%C3%A9');
	});

	it('turns long texts into a short digest', () => {
		const k = escapeKeyPart('x'.repeat(10_000));
		expect(k.length).toBeLessThanOrEqual(200);
		expect(k.startsWith('h~')).toBe(true);
	});

	it('property: different texts give different key parts, never with ":" or braces', () => {
		fc.assert(
			fc.property(
				fc.string({ unit: 'binary', maxLength: 300 }),
				fc.string({ unit: 'binary', maxLength: 300 }),
				(a, b) => {
					const ka = escapeKeyPart(a);
					const kb = escapeKeyPart(b);
					expect(/[:{}\s]/.test(ka)).toBe(false);
					if (a !== b) expect(ka).not.toBe(kb);
					return true;
				},
			),
			{ numRuns: 1000 },
		);
	});
});

describe('prefix', () => {
	it('defaults and validates', () => {
		expect(validatePrefix(undefined)).toBe('invsync');
		expect(validatePrefix('shop1:invsync')).toBe('shop1:invsync');
		expect(() => validatePrefix('bad prefix')).toThrow(/Key prefix/);
		expect(inboxKey('invsync')).toBe('invsync:inbox');
	});
});
