import { envFields } from '@hsg/kit';
import { listeners, type PartPorts, parts, portVariable } from './registry.ts';

/** Every port variable: PORT for the router, <NAME>_PORT per part, HL7_MLLP_PORT. */
const portVariables = () => [
  ...parts.map((part) => ({ name: part.name, variable: portVariable(part), port: part.port })),
  ...listeners,
];

/** The zod fields of every port variable. */
export const portEnvFields = () =>
  Object.fromEntries(portVariables().map(({ variable, port }) => [variable, envFields.port(port)]));

/** The parsed port variables, by part (or listener) name. */
export const portsFromEnv = (parsed: Record<string, unknown>): PartPorts =>
  Object.fromEntries(portVariables().map(({ name, variable }) => [name, parsed[variable] as number]));

/** The environment that gives a launched system these ports (tests start `npm start` or `start:real`). */
export const portEnvOf = (ports: PartPorts): Record<string, string> =>
  Object.fromEntries(
    portVariables().flatMap(({ name, variable }) => {
      const port = ports[name as keyof PartPorts];
      return port === undefined ? [] : [[variable, String(port)]];
    }),
  );
