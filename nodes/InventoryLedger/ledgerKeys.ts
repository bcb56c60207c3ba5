import { escapeKeyPart, key } from '../shared/keys';

/**
 * The Ledger's Redis keys (design.md "Redis layout"), built whole here. SKU texts, shops, order ids, channel
 * names are escaped (shared/keys.ts): a SKU with `{`, `}`, `:`, spaces or unicode never reaches another key.
 * Hash fields and stream values hold the raw texts (they are data, not key names).
 *
 * lua/applyEvents.lua names a removed order line's ledger hash, audit stream and outbox from this same
 * layout ('<prefix>:sku:<part>:ledger' | ':audit', '<prefix>:outbox:<part>') and the key parts it stored with
 * the line: change the layout there too.
 */
export const ledgerKeys = {
	profile: (prefix: string) => key(prefix, 'profile'),
	/** Every SKU the ledger has seen (for re-marking dirty after a profile change). */
	skus: (prefix: string) => key(prefix, 'skus'),
	ledger: (prefix: string, sku: string) => key(prefix, 'sku', escapeKeyPart(sku), 'ledger'),
	pub: (prefix: string, sku: string) => key(prefix, 'sku', escapeKeyPart(sku), 'pub'),
	audit: (prefix: string, sku: string) => key(prefix, 'sku', escapeKeyPart(sku), 'audit'),
	orderLines: (prefix: string, platform: string, shop: string, orderId: string) =>
		key(prefix, 'ol', escapeKeyPart(platform), escapeKeyPart(shop), escapeKeyPart(orderId)),
	outbox: (prefix: string, owner: string) => key(prefix, 'outbox', escapeKeyPart(owner)),
	dirty: (prefix: string, channel: string) => key(prefix, 'dirty', escapeKeyPart(channel)),
	map: (prefix: string, platform: string, shop: string) =>
		key(prefix, 'map', escapeKeyPart(platform), escapeKeyPart(shop)),
};
