export * from './env.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './logger.ts';
export * from './names.ts';
export * from './retry.ts';
export * from './shutdown.ts';
export * from './signal.ts';
