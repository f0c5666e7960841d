import { randomBytes } from 'node:crypto';
import type { RunningSubgraph } from '@hsg/kit/runtime';
import type { SubgraphDefinitionOf } from './registry.ts';

type IdentityService = RunningSubgraph<SubgraphDefinitionOf<'identity'>>;

/** One GraphQL request; an error in the answer is the launcher's failure to start. */
async function graph<Data>(
  routerUrl: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<Data> {
  const answer = await fetch(routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await answer.json()) as { data?: Data; errors?: Array<{ message: string }> };
  if (body.errors || !body.data)
    throw new Error(`the bridge's user could not be set up: ${body.errors?.[0]?.message ?? answer.status}`);
  return body.data;
}

/**
 * The HL7 bridge's own login: an INTEGRATION user it alone knows the password of. Each start sets a fresh
 * random password (created if missing), handed to the bridge and kept nowhere else, so no password of it
 * sits in a file or in the environment of a shell.
 */
export const bridgeUsername = 'hl7-bridge';

const freshPassword = () => randomBytes(24).toString('base64url');

/** Embedded mode: through identity's trusted user operations, in this process. */
export async function bridgeLoginInProcess(
  identity: Pick<IdentityService, 'users'>,
): Promise<{ username: string; password: string }> {
  const password = freshPassword();
  const found = await identity.users.byUsername(bridgeUsername);
  if (found) await identity.users.setPassword(found.id, password, 'launcher');
  else await identity.users.create({ username: bridgeUsername, password, role: 'INTEGRATION' }, 'launcher');
  return { username: bridgeUsername, password };
}

/** Real mode: as the first ADMIN, through the router (createUser, else setPassword). */
export async function bridgeLoginThroughGraph(
  routerUrl: string,
  admin: { username: string; password: string },
): Promise<{ username: string; password: string }> {
  const login = await fetch(new URL('/auth/login', routerUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  if (!login.ok) throw new Error(`the launcher's ADMIN login failed (${login.status})`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const headers = { authorization: `Bearer ${accessToken}` };
  const password = freshPassword();
  const { users } = await graph<{ users: { edges: Array<{ node: { id: string; username: string } }> } }>(
    routerUrl,
    'query ($u: String!) { users(filter: { username: $u }, first: 5) { edges { node { id username } } } }',
    { u: bridgeUsername },
    headers,
  );
  const found = users.edges.find((edge) => edge.node.username === bridgeUsername);
  if (found)
    await graph(
      routerUrl,
      'mutation ($id: ID!, $p: String!) { setPassword(id: $id, password: $p) { id } }',
      { id: found.node.id, p: password },
      headers,
    );
  else
    await graph(
      routerUrl,
      'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { username: bridgeUsername, password, role: 'INTEGRATION' } },
      headers,
    );
  return { username: bridgeUsername, password };
}
