/**
 * The stock baseline the benchmarks hold the router against: a plain @apollo/gateway on @apollo/server's
 * startStandaloneServer, each subgraph reached through node-fetch over one keep-alive http.Agent (what an
 * Apollo tutorial would set up). Nothing of the project's router is used, only the same supergraph.
 * Run as its own process by bench/stock.ts; env: PORT, SUBGRAPH_URLS (JSON name → URL), SUPERGRAPH_PATH.
 * Like any gateway here it passes the caller's Authorization on (the subgraphs verify it) and loads the
 * supergraph with its access-rule links as metadata, which the JS gateway requires (ADR 0016).
 */
import http from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { loadSupergraphSdl, withSecurityEnforcedBySubgraphs } from '@hsg/schema';
import nodeFetch from 'node-fetch';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

const urls = JSON.parse(process.env.SUBGRAPH_URLS ?? '{}') as Record<string, string>;
const agent = new http.Agent({ keepAlive: true });
// node-fetch's types differ from @apollo/utils.fetcher's in details the gateway does not use.
const fetcher = ((url, init) => nodeFetch(url, { ...init, agent })) as Fetcher;

interface Context {
  authorization?: string;
}

class ForwardingDataSource extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({
    request,
    context,
  }: Parameters<RemoteGraphQLDataSource<Context>['willSendRequest'] & object>[0]) {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: withSecurityEnforcedBySubgraphs(await loadSupergraphSdl(process.env.SUPERGRAPH_PATH)),
  buildService: ({ name, url }) => new ForwardingDataSource({ url: urls[name] ?? url, fetcher }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 4400), host: '127.0.0.1' },
  context: async ({ req }) => (req.headers.authorization ? { authorization: req.headers.authorization } : {}),
});
process.stdout.write(`stock gateway ready at ${url}\n`);

const stop = () => {
  void server.stop().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
