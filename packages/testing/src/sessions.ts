import { randomBytes } from 'node:crypto';
import type { Role } from '@hsg/kit/auth';
import { dataOf, graphqlRequest } from './graphql.ts';

/** The ADMIN every e2e system starts with (synthetic, this run's own). */
export const testAdmin = { username: 'e2e-admin', password: `e2e-${randomBytes(12).toString('base64url')}` };

export interface Links {
  patientId?: string;
  doctorId?: string;
}

/** `POST /auth/login` on the router; the access token. */
export async function login(routerUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(new URL('/auth/login', routerUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.json()) as { accessToken?: string; error?: string };
  if (!response.ok || !body.accessToken)
    throw new Error(`login as ${username}: ${response.status} ${body.error}`);
  return body.accessToken;
}

/**
 * Authorization headers of a user with a role (and links), as a person of the clinic would have them:
 * the test's ADMIN creates the user through the graph on first use, then it logs in like anyone else.
 */
export function sessions(routerUrl: string) {
  const cache = new Map<string, Promise<Record<string, string>>>();
  let admin: Promise<string> | undefined;
  const adminHeaders = async () => {
    admin ??= login(routerUrl, testAdmin.username, testAdmin.password);
    return { authorization: `Bearer ${await admin}` };
  };
  const create = async (role: Role, links: Links) => {
    if (role === 'ADMIN') return adminHeaders();
    const username = `e2e-${role.toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    const created = await graphqlRequest(
      routerUrl,
      'mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { username, password, role, ...links } },
      await adminHeaders(),
    );
    dataOf(created, 'createUser');
    return { authorization: `Bearer ${await login(routerUrl, username, password)}` };
  };
  return (role: Role, links: Links = {}): Promise<Record<string, string>> => {
    const key = `${role}:${links.patientId ?? ''}:${links.doctorId ?? ''}`;
    let headers = cache.get(key);
    if (!headers) {
      headers = create(role, links);
      cache.set(key, headers);
    }
    return headers;
  };
}
