import { AppError, badUserInput, conflict, isRetriable, toGraphQLErrorShape, unavailable } from '@hsg/kit';
import { formatGraphQLError } from '@hsg/kit/http';
import { describe, expect, it } from '@jest/globals';
import { GraphQLError } from 'graphql';

describe('error catalogue', () => {
  it('formats an application error with its stable code, retriable flag and safe details', () => {
    expect(toGraphQLErrorShape(badUserInput('birthDate is in the future', 'birthDate'))).toEqual({
      message: 'birthDate is in the future',
      extensions: { code: 'BAD_USER_INPUT', retriable: false, field: 'birthDate' },
    });
    expect(toGraphQLErrorShape(unavailable('patient projection not ready')).extensions).toEqual({
      code: 'UNAVAILABLE',
      retriable: true,
    });
  });

  it('finds the domain error inside a GraphQL wrapper', () => {
    const wrapped = { message: 'wrapped', originalError: conflict('MRN already in use') };
    expect(toGraphQLErrorShape(wrapped).extensions.code).toBe('CONFLICT');
  });

  it('hides internals of unknown failures and maps lost connections to UNAVAILABLE', () => {
    const internal = toGraphQLErrorShape(
      new Error('relation "patients" does not exist at SELECT ... Jane Doe'),
    );
    expect(internal).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL', retriable: false },
    });
    const lost = toGraphQLErrorShape(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    expect(lost.extensions).toEqual({ code: 'UNAVAILABLE', retriable: true });
  });

  it('tells retriable failures from programming errors', () => {
    expect(isRetriable(new AppError('CONFLICT', 'x', { retriable: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('deadlock'), { code: '40P01' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('deadlock'), { code: 'ER_LOCK_DEADLOCK' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('admin shutdown'), { code: '08006' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('leader not available'), { retriable: true }))).toBe(true);
    expect(isRetriable(new TypeError('undefined is not a function'))).toBe(false);
    expect(isRetriable(Object.assign(new Error('unique'), { code: '23505' }))).toBe(false);
  });
});

describe('formatGraphQLError', () => {
  const formatted = { message: 'from graphql-js', path: ['patient'] };

  it('reports failures that were not deliberate (the client only sees INTERNAL), not AppErrors', () => {
    const reported: unknown[] = [];
    const bug = new Error('relation "patients" does not exist');
    const shape = formatGraphQLError(formatted, new GraphQLError('x', { originalError: bug }), (cause) =>
      reported.push(cause),
    );
    expect(shape.extensions?.code).toBe('INTERNAL');
    formatGraphQLError(formatted, new GraphQLError('y', { originalError: conflict('taken') }), (cause) =>
      reported.push(cause),
    );
    expect(reported).toEqual([bug]);
  });

  it('never passes a stack trace or exception details on, whoever added them (a subgraph, graphql-js)', () => {
    const stacktrace = ['Error: boom', '    at /work/main/subgraphs/patient/src/domain.ts:12:5'];
    const fromSubgraph = {
      message: 'Date must be a real calendar date',
      extensions: { code: 'BAD_USER_INPUT', serviceName: 'patient', stacktrace, exception: { stacktrace } },
    };
    const reported = new GraphQLError('x', {
      originalError: Object.assign({}, fromSubgraph) as unknown as Error,
    });
    expect(formatGraphQLError(fromSubgraph, reported)).toEqual({
      message: 'Date must be a real calendar date',
      extensions: { code: 'BAD_USER_INPUT', serviceName: 'patient' },
    });
    const validation = {
      message: 'Cannot query field',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace },
    };
    expect(formatGraphQLError(validation, new GraphQLError('Cannot query field'))).toEqual({
      message: 'Cannot query field',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it("has one internal code: Apollo's INTERNAL_SERVER_ERROR (ours or a subgraph's) reaches clients as INTERNAL", () => {
    const apollos = {
      message: 'Unexpected error processing request: TypeError: x is not a function',
      extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at /work/x.ts'] },
    };
    expect(formatGraphQLError(apollos, new GraphQLError(apollos.message))).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL', retriable: false },
    });
    const fromSubgraph = { ...apollos, extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'doctor' } };
    const reported = new GraphQLError('x', { originalError: { ...fromSubgraph } as unknown as Error });
    expect(formatGraphQLError(fromSubgraph, reported)).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL', retriable: false, serviceName: 'doctor' },
    });
  });
});
