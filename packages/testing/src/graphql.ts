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
 * a client may retry), like a real client would, or while `also` says so; returns the last response,
 * whatever it says. `send` builds its request afresh each time (a start "a moment from now" included).
 */
export async function retryUnavailable<Data = Record<string, unknown>>(
  send: () => Promise<GraphQLResponse<Data>>,
  {
    attempts = 20,
    delayMs = 100,
    also,
  }: { attempts?: number; delayMs?: number; also?: (response: GraphQLResponse<Data>) => boolean } = {},
): Promise<GraphQLResponse<Data>> {
  for (let attempt = 1; ; attempt++) {
    const response = await send();
    const again = errorCode(response) === 'UNAVAILABLE' || also?.(response) === true;
    if (!again || attempt >= attempts) return response;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/**
 * A booking "a moment from now" that reached the appointment subgraph after that moment (a busy machine
 * between building the request and the check): worth sending again with a fresh start.
 */
export const arrivedTooLate = (response: GraphQLResponse<unknown>): boolean =>
  response.errors?.[0]?.extensions?.rule === 'IN_THE_PAST';
