// The four shared services in start order, and the names the CLI accepts for them.
import { kafkaService } from './kafka-service.ts';
import { mariadbService } from './mariadb.ts';
import { mongoService } from './mongo.ts';
import { postgresService } from './postgres.ts';
import type { Service, ServiceName } from './service.ts';

const ALIASES: Record<string, ServiceName> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  pg: 'postgres',
  mariadb: 'mariadb',
  mysql: 'mariadb',
  kafka: 'kafka',
  mongo: 'mongo',
  mongodb: 'mongo',
};

export function allServices(): Service[] {
  return [postgresService(), mariadbService(), kafkaService(), mongoService()];
}

/** The services named in `names` (all when empty); throws on an unknown name. */
export function selectServices(names: readonly string[]): Service[] {
  const all = allServices();
  if (names.length === 0) return all;
  const wanted = new Set<ServiceName>();
  for (const name of names) {
    const canonical = ALIASES[name.toLowerCase()];
    if (!canonical) throw new Error(`unknown service "${name}" (known: postgres, mariadb, kafka, mongo)`);
    wanted.add(canonical);
  }
  return all.filter((s) => wanted.has(s.name));
}
