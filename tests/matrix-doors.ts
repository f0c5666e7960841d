import type { Role } from '@hsg/kit/auth';
import { createTestKeys, dataOf, type GraphQLResponse, graphqlRequest } from '@hsg/testing';
import { describe, expect, it } from '@jest/globals';
import {
  type Links,
  linksOf,
  type SubgraphName,
  signAccessToken,
  strangerJwk,
  tamperedToken,
  unsignedToken,
} from './matrix-fixtures.ts';
import { answer, answerOf, clinic, system } from './matrix-probes.ts';

// ---------------------------------------------------------------------------------------------------------
// Each subgraph's own door, without the router: each file passes its subgraph's root fields.

type Token =
  | 'no token'
  | 'an expired token'
  | 'another key'
  | 'another key under identity’s kid'
  | 'a tampered token'
  | 'an unsigned token (alg none)';
const refusals: Record<Token, string> = {
  'no token': 'Authentication required',
  'an expired token': 'The access token has expired',
  'another key': 'The access token is not valid',
  'another key under identity’s kid': 'The access token is not valid',
  'a tampered token': 'The access token is not valid',
  'an unsigned token (alg none)': 'The access token is not valid',
};

/** The Authorization header of each kind of token, with a role's claims (FRONT_DESK: the most it may do). */
async function headersWith(
  token: Token | 'identity’s own key',
  role: Role = 'FRONT_DESK',
  links: Links = {},
): Promise<Record<string, string>> {
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    role,
    ...(links.patientId ? { pid: links.patientId } : {}),
    ...(links.doctorId ? { did: links.doctorId } : {}),
  };
  switch (token) {
    case 'no token':
      return {};
    case 'an expired token': // identity's own key, a minute past its expiry
      return bearer(
        signAccessToken(await system.activeSigningKey(), claims, {
          issuedAt: now - 960,
          expiresAt: now - 60,
        }),
      );
    case 'another key': // a key identity never published (its kid unknown to every verifier)
      return (await createTestKeys('another-key')).headersFor(claims);
    case 'another key under identity’s kid': {
      const { kid } = await system.activeSigningKey();
      const forged = { kid, privateJwk: strangerJwk() };
      return bearer(signAccessToken(forged, claims, { issuedAt: now, expiresAt: now + 900 }));
    }
    case 'a tampered token': {
      // A PATIENT's real token with the role changed, the signature kept.
      const { authorization } = await system.as('PATIENT', linksOf('PATIENT', clinic));
      return bearer(tamperedToken(authorization?.replace('Bearer ', '') ?? '', claims));
    }
    case 'an unsigned token (alg none)': {
      const { kid } = await system.activeSigningKey();
      return bearer(unsignedToken(kid, claims, { issuedAt: now, expiresAt: now + 900 }));
    }
    case 'identity’s own key': {
      // The control: signed the same way as the expired one, unexpired, for a user that exists.
      const me = await graphqlRequest(system.routerUrl, '{ me { id } }', {}, await system.as(role, links));
      const subject = dataOf<{ id: string }>(me, 'me').id;
      const key = await system.activeSigningKey();
      return bearer(signAccessToken(key, claims, { issuedAt: now, expiresAt: now + 900, subject }));
    }
  }
}

export interface Door {
  root: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The root field is nullable (data keeps it as null), else data is null. */
  nullable?: boolean;
  /** A mutation: it changed nothing. */
  unchanged?(): Promise<void>;
}

/**
 * The subgraph's doors with every kind of refused token, then the same queries with valid ones: of
 * `control`'s user (default: ADMIN for identity, else FRONT_DESK), who may read what the doors ask.
 */
export function describeDoors(
  subgraph: SubgraphName,
  doorsOf: () => Door[],
  control?: () => { role: Role; links?: Links },
): void {
  describe('straight to a subgraph, without the router', () => {
    const refusedCases = (Object.keys(refusals) as Token[]).map((token) => [subgraph, token] as const);

    it.each(refusedCases)(
      '%s with %s: every root field UNAUTHENTICATED, nothing changed; { __typename } and _service answer',
      async (subgraph, token) => {
        const url = system.subgraphUrls[subgraph];
        const headers = await headersWith(token);
        const doors = doorsOf();
        // All at once: a token of an unknown key costs each request a JWKS look-up (the kit's 1 s cooldown).
        const [typename, service, ...responses] = await Promise.all(
          [{ query: '{ __typename }' }, { query: '{ _service { sdl } }' }, ...doors].map((door) =>
            graphqlRequest(url, door.query, 'variables' in door ? door.variables : {}, headers),
          ),
        );
        expect(typename).toEqual({ data: { __typename: 'Query' } });
        expect(answerOf(service as GraphQLResponse)).toEqual(
          answer({ _service: { sdl: expect.stringContaining('type Query') } }),
        );
        doors.forEach((door, index) => {
          const response = responses[index] as GraphQLResponse;
          const what = `${subgraph} ${door.root}`;
          expect({ what, ...answerOf(response) }).toEqual({
            what,
            ...answer(door.nullable ? { [door.root]: null } : null, `UNAUTHENTICATED at ${door.root}`),
          });
          expect({ what, message: response.errors?.[0]?.message }).toEqual({
            what,
            message: refusals[token],
          });
        });
        for (const door of doors) await door.unchanged?.();
      },
    );

    const controls = (['a user’s login', 'identity’s own key'] as const).map(
      (token) => [subgraph, token] as const,
    );

    // The same doors (their queries) answer a valid token: the refusals above are the token's.
    it.each(controls)('%s with %s: every query answers', async (subgraph, token) => {
      const { role, links = {} } = control?.() ?? { role: subgraph === 'identity' ? 'ADMIN' : 'FRONT_DESK' };
      const headers =
        token === 'a user’s login' ? await system.as(role, links) : await headersWith(token, role, links);
      for (const door of doorsOf().filter((candidate) => !candidate.unchanged)) {
        const response = await graphqlRequest(
          system.subgraphUrls[subgraph],
          door.query,
          door.variables,
          headers,
        );
        const what = `${subgraph} ${door.root}`;
        expect({ what, errors: response.errors }).toEqual({ what, errors: undefined });
        expect({ what, value: response.data?.[door.root] ?? null }).not.toEqual({ what, value: null });
      }
    });
  });
}
