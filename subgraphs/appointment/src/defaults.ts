/** Defaults for the service's settings, shared by its env parsing and its start-up options. */
export const appointmentDefaults = {
  projectionWaitMs: 2000,
  projectionGraceMs: 5 * 60_000,
  noShowIntervalMs: 60_000,
  noShowGraceMinutes: 60,
} as const;
