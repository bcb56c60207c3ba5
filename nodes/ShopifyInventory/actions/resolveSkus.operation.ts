import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

/** Placeholder: resolveSkus is not built yet. */

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	throw new NodeOperationError(this.getNode(), 'The resolveSkus operation is not available yet');
}
