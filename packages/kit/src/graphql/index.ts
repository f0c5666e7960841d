export { DateScalar, DateTimeScalar, isCalendarDate } from './scalars.ts';
