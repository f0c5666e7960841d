import type { DayRange, FactGroup } from './model.ts';

export interface Money {
  amount: number;
  currency: string;
}

export interface Counts {
  appointmentsBooked: number;
  appointmentsCompleted: number;
  appointmentsCancelled: number;
  appointmentsNoShow: number;
}

export interface DoctorStats extends Counts {
  doctorId: string;
  /** No-shows among the appointments that came due (completed + no-show); null when none did. */
  noShowRate: number | null;
}

export interface DayStats extends Counts {
  date: string;
  patientsRegistered: number;
  resultsReceived: number;
  abnormalResults: number;
  criticalResults: number;
}

export interface TestCodeStats {
  code: string;
  system: string | null;
  resultsReceived: number;
  abnormalResults: number;
  criticalResults: number;
  abnormalResultRate: number | null;
}

export interface Dashboard extends Counts {
  from: string;
  to: string;
  timeZone: string;
  patientsRegistered: number;
  doctorsRegistered: number;
  noShowRate: number | null;
  revenueInvoiced: Money[];
  revenuePaid: Money[];
  resultsReceived: number;
  resultsCorrected: number;
  abnormalResultRate: number | null;
  criticalResults: number;
  perDay: DayStats[];
  byDoctor: DoctorStats[];
  byTestCode: TestCodeStats[];
}

const zeroCounts = (): Counts => ({
  appointmentsBooked: 0,
  appointmentsCompleted: 0,
  appointmentsCancelled: 0,
  appointmentsNoShow: 0,
});

const countField = {
  'appointment.booked': 'appointmentsBooked',
  'appointment.completed': 'appointmentsCompleted',
  'appointment.cancelled': 'appointmentsCancelled',
  'appointment.no_show': 'appointmentsNoShow',
} as const;

const rate = (part: number, whole: number) => (whole === 0 ? null : part / whole);
const noShowRate = (counts: Counts) =>
  rate(counts.appointmentsNoShow, counts.appointmentsCompleted + counts.appointmentsNoShow);

function addCounts(counts: Counts, group: FactGroup): void {
  const field = countField[group.kind as keyof typeof countField];
  if (field) counts[field] += group.count;
}

function addMoney(totals: Map<string, number>, currency: string | undefined, amount: number): void {
  if (currency !== undefined) totals.set(currency, (totals.get(currency) ?? 0) + amount);
}

const moneyList = (totals: Map<string, number>): Money[] =>
  [...totals]
    .map(([currency, amount]) => ({ amount, currency }))
    .sort((a, b) => (a.currency < b.currency ? -1 : 1));

const withRate = (stats: Omit<DoctorStats, 'noShowRate'>): DoctorStats => ({
  ...stats,
  noShowRate: noShowRate(stats),
});

/** The dashboard from the range's fact groups: pure, so both model implementations answer alike. */
export function dashboardOf(range: DayRange, groups: FactGroup[]): Dashboard {
  const totals = zeroCounts();
  let patientsRegistered = 0;
  let doctorsRegistered = 0;
  let resultsReceived = 0;
  let resultsCorrected = 0;
  let abnormal = 0;
  let critical = 0;
  const invoiced = new Map<string, number>();
  const paid = new Map<string, number>();
  const perDay = new Map<string, DayStats>(
    range.days.map((date) => [
      date,
      {
        date,
        ...zeroCounts(),
        patientsRegistered: 0,
        resultsReceived: 0,
        abnormalResults: 0,
        criticalResults: 0,
      },
    ]),
  );
  const byDoctor = new Map<string, Omit<DoctorStats, 'noShowRate'>>();
  const byTestCode = new Map<string, Omit<TestCodeStats, 'abnormalResultRate'>>();

  for (const group of groups) {
    const day = perDay.get(group.day);
    addCounts(totals, group);
    if (day) addCounts(day, group);
    if (group.doctorId !== undefined && group.kind in countField) {
      const stats = byDoctor.get(group.doctorId) ?? { doctorId: group.doctorId, ...zeroCounts() };
      byDoctor.set(group.doctorId, stats);
      addCounts(stats, group);
    }
    switch (group.kind) {
      case 'patient.registered':
        patientsRegistered += group.count;
        if (day) day.patientsRegistered += group.count;
        break;
      case 'doctor.registered':
        doctorsRegistered += group.count;
        break;
      case 'invoice.issued':
        addMoney(invoiced, group.currency, group.amount);
        break;
      case 'invoice.voided':
        addMoney(invoiced, group.currency, -group.amount);
        break;
      case 'payment.received':
        addMoney(paid, group.currency, group.amount);
        break;
      case 'observation.corrected':
        resultsCorrected += group.count;
        break;
      case 'observation.recorded': {
        const flagged = {
          abnormal: group.abnormal ? group.count : 0,
          critical: group.critical ? group.count : 0,
        };
        resultsReceived += group.count;
        abnormal += flagged.abnormal;
        critical += flagged.critical;
        if (day) {
          day.resultsReceived += group.count;
          day.abnormalResults += flagged.abnormal;
          day.criticalResults += flagged.critical;
        }
        const key = JSON.stringify([group.system ?? null, group.code ?? '']);
        const stats = byTestCode.get(key) ?? {
          code: group.code ?? '',
          system: group.system ?? null,
          resultsReceived: 0,
          abnormalResults: 0,
          criticalResults: 0,
        };
        byTestCode.set(key, stats);
        stats.resultsReceived += group.count;
        stats.abnormalResults += flagged.abnormal;
        stats.criticalResults += flagged.critical;
        break;
      }
      default:
        break;
    }
  }
  return {
    from: range.days[0] as string,
    to: range.days[range.days.length - 1] as string,
    timeZone: range.timeZone,
    ...totals,
    patientsRegistered,
    doctorsRegistered,
    noShowRate: noShowRate(totals),
    revenueInvoiced: moneyList(invoiced),
    revenuePaid: moneyList(paid),
    resultsReceived,
    resultsCorrected,
    abnormalResultRate: rate(abnormal, resultsReceived),
    criticalResults: critical,
    perDay: [...perDay.values()],
    byDoctor: [...byDoctor.values()]
      .sort((a, b) => b.appointmentsBooked - a.appointmentsBooked || (a.doctorId < b.doctorId ? -1 : 1))
      .map(withRate),
    byTestCode: [...byTestCode.values()]
      .sort((a, b) => b.resultsReceived - a.resultsReceived || (a.code < b.code ? -1 : 1))
      .map((stats) => ({ ...stats, abnormalResultRate: rate(stats.abnormalResults, stats.resultsReceived) })),
  };
}

/** One doctor's numbers in the range (zeros when the model knows nothing of them). */
export function doctorStatsOf(doctorId: string, groups: FactGroup[]): DoctorStats {
  const counts = zeroCounts();
  for (const group of groups) if (group.doctorId === doctorId) addCounts(counts, group);
  return withRate({ doctorId, ...counts });
}
