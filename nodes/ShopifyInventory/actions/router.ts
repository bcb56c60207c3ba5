import {
	NodeApiError,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';
import { SHOPIFY_OPERATIONS, type ShopifyOperation } from '../descriptions';
import * as adjust from './adjust.operation';
import * as getLevels from './getLevels.operation';
import * as pollOrders from './pollOrders.operation';
import * as publish from './publish.operation';
import * as rereadOrders from './rereadOrders.operation';
import * as resolveSkus from './resolveSkus.operation';
import * as subscriptions from './subscriptions.operation';

/**
 * The Shopify Inventory node's execute(): each operation does its work once per execution (the input items
 * are only a signal, or for Get Levels / Resolve SKUs the SKUs and ids to work on). With Continue On Fail an
 * operation's error becomes one error item instead of failing the workflow.
 */

type OperationModule = {
	execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>;
};

const OPERATIONS: Record<ShopifyOperation, OperationModule> = {
	publish,
	adjust,
	getLevels,
	resolveSkus,
	pollOrders,
	rereadOrders,
	subscriptions,
};

export async function executeShopifyInventory(
	this: IExecuteFunctions,
): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as ShopifyOperation;
	if (!(SHOPIFY_OPERATIONS as readonly string[]).includes(operation))
		throw new NodeOperationError(this.getNode(), `Unknown operation '${operation}'`);
	try {
		return await OPERATIONS[operation].execute.call(this);
	} catch (error) {
		const nodeError =
			error instanceof NodeApiError || error instanceof NodeOperationError
				? error
				: new NodeOperationError(this.getNode(), error as Error);
		if (!this.continueOnFail()) throw nodeError;
		return [[{ json: { error: nodeError.message }, pairedItem: { item: 0 } }]];
	}
}
