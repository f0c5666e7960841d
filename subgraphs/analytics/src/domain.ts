import { type Dashboard, type DoctorStats, dashboardOf, doctorStatsOf } from './dashboard.ts';
import type { AnalyticsModel } from './model.ts';
import { dayRange } from './range.ts';

export interface AnalyticsDomain {
  dashboard(from: string, to: string, timeZone: string): Promise<Dashboard>;
  doctorStats(doctorId: string, from: string, to: string, timeZone: string): Promise<DoctorStats>;
}

/** The questions the API asks of the model: input checked (BAD_USER_INPUT), then one grouped read. */
export function createAnalyticsDomain(model: AnalyticsModel): AnalyticsDomain {
  return {
    async dashboard(from, to, timeZone) {
      const range = dayRange(from, to, timeZone);
      return dashboardOf(range, await model.groups(range));
    },
    async doctorStats(doctorId, from, to, timeZone) {
      const range = dayRange(from, to, timeZone);
      return doctorStatsOf(doctorId, await model.groups(range, { doctorId }));
    },
  };
}
