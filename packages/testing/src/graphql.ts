export interface GraphQLResponse<Data = Record<string, unknown>> {
  data?: Data | null;
  errors?: Array<{
    message: string;
    path?: string[];
    extensions?: Record<string, unknown> & { code?: string };
  }>;
}

/** POSTs one GraphQL operation: the HTTP status and the parsed body (the project's one GraphQL POST). */
export async function graphqlPost<Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphQLResponse<Data> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<Data> };
}

/** POSTs one GraphQL operation and returns the parsed response (HTTP errors included as responses). */
export async function graphqlRequest<Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  return (await graphqlPost<Data>(url, query, variables, headers)).body;
}

/** The first error's code, for asserting on failures. */
export const errorCode = (response: GraphQLResponse<unknown>): string | undefined =>
  response.errors?.[0]?.extensions?.code;

/** The named root field of a successful response; throws with the errors when there is none. */
export function dataOf<T>(response: GraphQLResponse<unknown>, field: string): T {
  const value = (response.data as Record<string, unknown> | null | undefined)?.[field];
  if (value === undefined || value === null)
    throw new Error(`no ${field} in response: ${JSON.stringify(response.errors ?? response.data)}`);
  return value as T;
}

/**
 * Re-sends while the first error's code is UNAVAILABLE (a projection still catching up, which the graph says
 * a client may retry), like a real client would; returns the last response, whatever it says.
 */
export async function retryUnavailable<Data = Record<string, unknown>>(
  send: () => Promise<GraphQLResponse<Data>>,
  { attempts = 20, delayMs = 100 }: { attempts?: number; delayMs?: number } = {},
): Promise<GraphQLResponse<Data>> {
  for (let attempt = 1; ; attempt++) {
    const response = await send();
    if (errorCode(response) !== 'UNAVAILABLE' || attempt >= attempts) return response;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}
