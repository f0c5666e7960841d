export * from './appointment.ts';
export * from './audit.ts';
export * from './billing.ts';
export * from './doctor.ts';
export * from './observation.ts';
export * from './patient.ts';
