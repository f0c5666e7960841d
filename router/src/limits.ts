import type { ApolloServerPlugin } from '@apollo/server';
import { checkOperationCost, type OperationLimits } from '@hsg/kit/graphql';
import { GraphQLError } from 'graphql';
import type { RouterContext } from './context.ts';

/**
 * What validation cannot check: an operationName that names no operation in the document (a client's
 * mistake: 400, not the gateway's 500), and the fan-out estimated from `first` arguments, which may be
 * variables. Both run before the gateway plans the operation.
 */
export function operationLimitsPlugin(
  limits: Pick<OperationLimits, 'maxCost' | 'assumedListSize'>,
): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, document, schema }) {
          if (operation === undefined) throw unresolvedOperation(request.operationName);
          checkOperationCost(schema, document, limits, request.variables, request.operationName);
        },
      };
    },
  };
}

function unresolvedOperation(operationName: string | undefined): GraphQLError {
  const message =
    operationName === undefined
      ? 'The document has several operations: name the one to run in operationName'
      : `The document has no operation named "${operationName.slice(0, 100)}"`;
  return new GraphQLError(message, {
    extensions: { code: 'OPERATION_RESOLUTION_FAILURE', retriable: false, http: { status: 400 } },
  });
}
