import { envFields } from '@hsg/kit';
import { type PartPorts, parts, portVariable } from './registry.ts';

/** The zod fields of every part's port variable (PORT for the router, <NAME>_PORT per subgraph). */
export const portEnvFields = () =>
  Object.fromEntries(parts.map((part) => [portVariable(part), envFields.port(part.port)]));

/** The parsed port variables, by part name. */
export const portsFromEnv = (parsed: Record<string, unknown>): PartPorts =>
  Object.fromEntries(parts.map((part) => [part.name, parsed[portVariable(part)] as number]));

/** The environment that gives a launched system these ports (tests start `npm start` or `start:real`). */
export const portEnvOf = (ports: PartPorts): Record<string, string> =>
  Object.fromEntries(
    parts.flatMap((part) => {
      const port = ports[part.name as keyof PartPorts];
      return port === undefined ? [] : [[portVariable(part), String(port)]];
    }),
  );
