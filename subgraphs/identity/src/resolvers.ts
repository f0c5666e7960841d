import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { DateTimeScalar, pageInfoOf } from '@hsg/kit/graphql';
import type { RequestContext } from '@hsg/kit/runtime';
import type DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import { type AuditTrail, auditCursor } from './audit-trail.ts';
import { type CreateUserInput, type IdentityDomain, type UpdateUserInput, usernameCursor } from './domain.ts';
import type { AuditFilter, SigningKey, User, UserFilter } from './model.ts';

export interface IdentityContext extends RequestContext {
  /** Batches every user lookup of one request into one store query. */
  userLoader: DataLoader<string, User | undefined>;
}

/** Thin: arguments in, domain call (with the caller), shape out. */
export function createResolvers(
  domain: IdentityDomain,
  auditTrail: AuditTrail,
): GraphQLResolverMap<IdentityContext> {
  return {
    DateTime: DateTimeScalar,
    Query: {
      me: (_: unknown, _args: unknown, { principal }: IdentityContext) => domain.me(principal),
      user: (_: unknown, { id }: { id: string }, { principal }: IdentityContext) =>
        domain.user(principal, id),
      users: async (
        _: unknown,
        args: { filter?: UserFilter | null; first: number; after?: string | null },
        { principal }: IdentityContext,
      ) => {
        const page = await domain.users(principal, args.filter, args.first, args.after);
        const edges = page.users.map((user) => ({
          cursor: usernameCursor.encode(user.username),
          node: user,
        }));
        return {
          edges,
          pageInfo: pageInfoOf(edges, page.hasNextPage, args.after),
          totalCount: page.totalCount,
        };
      },
      signingKeys: (_: unknown, _args: unknown, { principal }: IdentityContext) =>
        domain.signingKeys(principal),
      auditEntries: async (
        _: unknown,
        args: { filter?: AuditFilter | null; first: number; after?: string | null },
        { principal, traceparent }: IdentityContext,
        info: GraphQLResolveInfo,
      ) => {
        const page = await auditTrail.entries(principal, args.filter, args.first, args.after, {
          operationName: info.operation.name?.value,
          traceparent,
        });
        const edges = page.entries.map((entry) => ({ cursor: auditCursor.encode(entry), node: entry }));
        return {
          edges,
          pageInfo: pageInfoOf(edges, page.hasNextPage, args.after),
          totalCount: page.totalCount,
        };
      },
    },
    Mutation: {
      createUser: (_: unknown, { input }: { input: CreateUserInput }, { principal }: IdentityContext) =>
        domain.createUser(principal, input),
      updateUser: (
        _: unknown,
        args: { id: string; expectedVersion: number; input: UpdateUserInput },
        { principal }: IdentityContext,
      ) => domain.updateUser(principal, args.id, args.expectedVersion, args.input),
      setPassword: (_: unknown, args: { id: string; password: string }, { principal }: IdentityContext) =>
        domain.setPassword(principal, args.id, args.password),
      changeMyPassword: (
        _: unknown,
        args: { currentPassword: string; newPassword: string },
        { principal }: IdentityContext,
      ) => domain.changeMyPassword(principal, args.currentPassword, args.newPassword),
      deactivateUser: (
        _: unknown,
        args: { id: string; expectedVersion: number },
        { principal }: IdentityContext,
      ) => domain.deactivateUser(principal, args.id, args.expectedVersion),
      rotateSigningKey: (_: unknown, _args: unknown, { principal }: IdentityContext) =>
        domain.rotateSigningKey(principal),
    },
    User: {
      __resolveReference: (reference: { id: string }, { principal, userLoader }: IdentityContext) =>
        domain.userReference(principal, reference.id, (id) => userLoader.load(id)),
      patient: (user: User) => (user.patientId ? { __typename: 'Patient', id: user.patientId } : null),
      doctor: (user: User) => (user.doctorId ? { __typename: 'Doctor', id: user.doctorId } : null),
    },
    SigningKey: {
      active: (key: SigningKey) => key.retiredAt === null,
    },
  };
}
