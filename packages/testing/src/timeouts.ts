/**
 * How long a hook may take to start stores, brokers and servers. Sized for CI's busy two cores, where
 * PGlite alone can take 10 s to open while other suites run; it is a ceiling, not a wait.
 */
export const setupTimeoutMs = 120_000;
