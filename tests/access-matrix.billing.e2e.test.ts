import { type Role, roles } from '@hsg/kit/auth';
import { graphqlRequest } from '@hsg/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Door, describeDoors } from './matrix-doors.ts';
import {
  bookSoon,
  completeVisits,
  type Doctor,
  type Invoice,
  invoicesOf,
  linksOf,
  type Patient,
} from './matrix-fixtures.ts';
import {
  adr,
  allows,
  answer,
  answerOf,
  both,
  type Cell,
  clinic,
  describeOperations,
  forbidden,
  type Operation,
  ownAndOther,
  type Probe,
  startMatrix,
  stopMatrix,
  system,
  unique,
} from './matrix-probes.ts';

/**
 * ADR 0016's matrix for the billing subgraph (issue 13), end to end on the embedded system: its every
 * Query and Mutation field, its fields on Patient and Appointment and the PDF download, for every role
 * (and without a token), through the router, the allowed and the denied answers both; then billing's own
 * door with no token, an expired one and forged ones.
 */

// A's invoice (the PATIENT's own, of A–X: the CLINICIAN's visit) and B's (of B–Y), never changed; then
// fresh ones, each of a patient of its own, for the payments and voids that are allowed: FRONT_DESK's
// two (twice: the no-token case asks FRONT_DESK's probes again), BILLING's two, PATIENT's own, and
// BILLING's two voids.
let ofA: Invoice;
let ofB: Invoice;
const pool: Invoice[] = [];
const POOL = 9;
/** Every invoice of the system: C's (of the clinic's `started` visit), A's, B's and the pool. */
let invoiceCount = 0;

beforeAll(async () => {
  await startMatrix();
  const pair = async (index: number): Promise<[Patient, Doctor]> => [
    await clinic.registerPatient(`P${index}`),
    await clinic.registerDoctor(`D${index}`),
  ];
  const fresh = await Promise.all(Array.from({ length: POOL }, (_, index) => pair(index)));
  // The clinic's `started` visit holds X's time: completed first, so A–X can be booked now.
  await completeVisits(system, [clinic.started]);
  const visits = await bookSoon(clinic, [[clinic.A, clinic.X], [clinic.B, clinic.Y], ...fresh]);
  await completeVisits(system, visits);
  const invoices = await invoicesOf(system, [clinic.started, ...visits]);
  [, ofA, ofB] = invoices as [Invoice, Invoice, Invoice];
  pool.push(...invoices.slice(3));
  invoiceCount = invoices.length;
}, 180_000);
afterAll(stopMatrix, 60_000);

const freshInvoice = () => {
  const invoice = pool.shift();
  if (!invoice) throw new Error('the pool of fresh invoices is used up: make POOL larger');
  return invoice;
};

const EUR = (amount: number) => ({ amount, currency: 'EUR' });
const FEE = EUR(7000); // every doctor's consultationFee (clinic.doctorInput)
const MONEY = '{ amount currency }';
/** What a front desk may see of an invoice: its status and amounts. */
const STATUS = `id number status total ${MONEY} paid ${MONEY} outstanding ${MONEY} dueDate issuedAt version
  patient { id } appointment { id } account { id accountNumber balance ${MONEY} }`;

const fixtureInvoices = () => [
  { invoice: ofA, own: true, patient: clinic.A, doctor: clinic.X },
  { invoice: ofB, own: false, patient: clinic.B, doctor: clinic.Y },
];
const accountOf = (invoice: Invoice) => ({ ...invoice.account, balance: [FEE] });
const oneVisit = { quantity: 1, unitPrice: FEE, amount: FEE };
const unpaid = { status: 'ISSUED', total: FEE, paid: EUR(0), outstanding: FEE, version: 1 };
/** A's or B's invoice as STATUS asks it: unpaid, its patient's only one. */
const statusOf = (invoice: Invoice) => {
  const { id, number, dueDate, issuedAt } = invoice;
  const parties = { patient: { id: invoice.patientId }, appointment: { id: invoice.visit.id } };
  return { id, number, dueDate, issuedAt, ...unpaid, ...parties, account: accountOf(invoice) };
};

/** An invoice's state as billing staff see it: A's, B's and every fresh one start ISSUED. */
const issued = {
  status: 'ISSUED',
  paid: { amount: 0 },
  version: 1,
  payments: [] as Array<{ amount: { amount: number }; method: string }>,
  voidReason: null as string | null,
};

/** Billing staff's view of an invoice after a mutation: what it changed, or that it changed nothing. */
function billingSees(invoice: Invoice, changes: Partial<typeof issued> = {}) {
  return async () => {
    const response = await graphqlRequest(
      system.routerUrl,
      `query ($id: ID!) { invoice(id: $id) {
        status paid { amount } version payments { amount { amount } method } voidReason } }`,
      { id: invoice.id },
      await system.as('BILLING'),
    );
    const [what, state] = [invoice.label, { invoice: { ...issued, ...changes } }];
    expect({ what, ...answerOf(response) }).toEqual({ what, ...answer(state) });
  };
}

interface Change extends Pick<Probe, 'query' | 'variables'> {
  /** The answer when allowed. */
  value: unknown;
  changes: Partial<typeof issued>;
}

/**
 * payInvoice or voidInvoice, of a fresh invoice where the role may (a PATIENT's own as a user linked to
 * its patient), else of A's (the PATIENT's own) and B's; billing's view afterwards says what the change
 * did, or that a refused one did nothing.
 */
function change(
  name: 'payInvoice' | 'voidInvoice',
  cells: Record<Role, Cell>,
  request: (invoice: Invoice, role: Role) => Change,
): Operation {
  return {
    name,
    cells,
    async probes(role) {
      return ownAndOther.map((own): Probe => {
        const allowed = allows(cells[role], own);
        const invoice = allowed ? freshInvoice() : own ? ofA : ofB;
        const { value, changes, ...sent } = request(invoice, role);
        return {
          what: `${name}(${allowed ? 'a fresh invoice' : invoice.label})`,
          ...sent,
          ...(allowed && role === 'PATIENT' ? { links: { patientId: invoice.patientId } } : {}),
          expected: allowed ? answer({ [name]: value }) : answer(null, forbidden(name)),
          check: billingSees(invoice, changes),
          unchanged: billingSees(invoice),
        };
      });
    },
  };
}

/** invoice(id) and invoiceByNumber(number), of A's and B's invoice. */
function lookup(field: 'invoice' | 'invoiceByNumber', key: 'id' | 'number'): Operation {
  return {
    name: `${field}(${key})`,
    cells: adr.readInvoices,
    async probes(role) {
      const cell = adr.readInvoices[role];
      const probes: Probe[] = fixtureInvoices().map(({ invoice, own }) => ({
        what: `${field}(${invoice.label})`,
        query: `query ($key: ${key === 'id' ? 'ID' : 'String'}!) {
          __typename ${field}(${key}: $key) { ${STATUS} } }`,
        variables: { key: invoice[key] },
        expected: allows(cell, own)
          ? answer({ __typename: 'Query', [field]: statusOf(invoice) })
          : answer({ __typename: 'Query', [field]: null }, forbidden(field)),
      }));
      if (field === 'invoiceByNumber') return probes;
      // Straight to billing, as the router resolves an invoice or account another subgraph returns.
      const entities = fixtureInvoices().flatMap(({ invoice, own }) =>
        [
          { r: { __typename: 'Invoice', id: invoice.id }, value: { id: invoice.id, status: 'ISSUED' } },
          { r: { __typename: 'BillingAccount', id: invoice.account.id }, value: accountOf(invoice) },
        ].map((entity) => ({ ...entity, allowed: allows(cell, own) })),
      );
      probes.push({
        what: 'billing subgraph: _entities(Invoice A, Account A, Invoice B, Account B)',
        via: 'billing',
        query: `query ($r: [_Any!]!) { _entities(representations: $r) {
          ... on Invoice { id status } ... on BillingAccount { id accountNumber balance ${MONEY} } } }`,
        variables: { r: entities.map((entity) => entity.r) },
        expected: answer(
          { _entities: entities.map((entity) => (entity.allowed ? entity.value : null)) },
          ...entities.flatMap((entity, index) => (entity.allowed ? [] : [forbidden(`_entities.${index}`)])),
        ),
      });
      return probes;
    },
  };
}

/**
 * A billing field of another subgraph's entity (patient(id) of A and B, or appointment(id) of A–X and
 * B–Y): through the router it needs the parent's rule and billing's; straight to billing (as the router
 * asks for it under any parent) billing's alone. A denied non-null field nulls its parent.
 */
function crossing(spec: {
  name: string;
  parent: Record<Role, Cell>;
  root: 'patient' | 'appointment';
  field: string;
  selection: string;
  valueFor(invoice: Invoice): unknown;
  nullable: boolean;
}): Operation {
  const { root, field, nullable } = spec;
  const typename = root === 'patient' ? 'Patient' : 'Appointment';
  const parents = () =>
    fixtureInvoices().map((fixture) => ({
      ...fixture,
      id: root === 'patient' ? fixture.patient.id : fixture.invoice.visit.id,
      label: root === 'patient' ? fixture.patient.label : fixture.invoice.visit.label,
    }));
  return {
    name: spec.name,
    cells: both(spec.parent, adr.readInvoices),
    async probes(role) {
      const allowed = (own: boolean) => allows(adr.readInvoices[role], own);
      const probes: Probe[] = parents().map(({ invoice, own, id, label }) => ({
        what: `${root}(${label}) { ${field} }`,
        query: `query ($id: ID!) { ${root}(id: $id) { id ${field} ${spec.selection} } }`,
        variables: { id },
        expected: !allows(spec.parent[role], own)
          ? answer({ [root]: null }, forbidden(root))
          : allowed(own)
            ? answer({ [root]: { id, [field]: spec.valueFor(invoice) } })
            : answer({ [root]: nullable ? { id, [field]: null } : null }, forbidden(`${root}.${field}`)),
      }));
      const entities = parents().map(({ invoice, own, id }) =>
        allowed(own) ? { id, [field]: spec.valueFor(invoice) } : nullable ? { id, [field]: null } : null,
      );
      probes.push({
        what: `billing subgraph: _entities(${typename} of A, of B) { ${field} }`,
        via: 'billing',
        query: `query ($r: [_Any!]!) { _entities(representations: $r) {
          ... on ${typename} { id ${field} ${spec.selection} } } }`,
        variables: { r: parents().map(({ id }) => ({ __typename: typename, id })) },
        expected: answer(
          { _entities: entities },
          ...parents().flatMap(({ own }, index) =>
            allowed(own) ? [] : [forbidden(`_entities.${index}.${field}`)],
          ),
        ),
      });
      return probes;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Every operation.

const operations: Operation[] = [
  lookup('invoice', 'id'),
  lookup('invoiceByNumber', 'number'),
  {
    name: 'invoices',
    cells: adr.readInvoices,
    async probes(role) {
      const cell = adr.readInvoices[role];
      const listed = (page: unknown) =>
        cell === '–' ? answer(null, forbidden('invoices')) : answer({ invoices: page });
      const probes: Probe[] = fixtureInvoices().map(({ invoice, own, patient }) => ({
        what: `invoices(filter: { patientId: ${patient.label} })`,
        query: `query ($id: ID) {
          invoices(filter: { patientId: $id }) { totalCount edges { node { id status } } } }`,
        variables: { id: patient.id },
        expected: listed(
          allows(cell, own)
            ? { totalCount: 1, edges: [{ node: { id: invoice.id, status: 'ISSUED' } }] }
            : { totalCount: 0, edges: [] },
        ),
      }));
      probes.push({
        what: 'invoices (unfiltered)',
        query: '{ invoices(first: 1) { totalCount } }',
        expected: listed({ totalCount: cell === 'own' ? 1 : invoiceCount }),
      });
      return probes;
    },
  },
  {
    name: 'Invoice.lines, payments, voidReason, pdfUrl, account.holderName',
    cells: adr.invoiceDetails,
    async probes(role) {
      return fixtureInvoices().flatMap(({ invoice, own, patient, doctor }) => {
        const line = { description: `Consultation — ${doctor.name}`, ...oneVisit };
        const { id } = invoice.account;
        // Each beside id and status: a denied nullable one is null, a denied non-null one nulls the invoice
        // (GraphQL's null bubbling), FORBIDDEN at the field either way.
        const details: Array<[path: string, selection: string, value: object, denied?: object]> = [
          ['lines', `lines { description quantity unitPrice ${MONEY} amount ${MONEY} }`, { lines: [line] }],
          ['payments', 'payments { id }', { payments: [] }],
          ['voidReason', 'voidReason', { voidReason: null }, { voidReason: null }],
          ['pdfUrl', 'pdfUrl', { pdfUrl: `/invoices/${invoice.id}/pdf` }],
          [
            'account.holderName',
            'account { id holderName }',
            { account: { id, holderName: patient.name } },
            { account: { id, holderName: null } },
          ],
        ];
        return details.map(([path, selection, value, denied]) => ({
          what: `invoice(${invoice.label}) { ${path} }`,
          query: `query ($id: ID!) { invoice(id: $id) { id status ${selection} } }`,
          variables: { id: invoice.id },
          expected: !allows(adr.readInvoices[role], own)
            ? answer({ invoice: null }, forbidden('invoice'))
            : allows(adr.invoiceDetails[role], own)
              ? answer({ invoice: { id: invoice.id, status: 'ISSUED', ...value } })
              : answer(
                  { invoice: denied ? { id: invoice.id, status: 'ISSUED', ...denied } : null },
                  forbidden(`invoice.${path}`),
                ),
        }));
      });
    },
  },
  change('payInvoice', adr.payInvoice, (invoice) => {
    // The answer's invoice is as the payment left it, for every role (a PATIENT's policy reads the
    // invoice before the payment: the answer must not reuse that read).
    const state = { status: 'PARTIALLY_PAID', paid: EUR(2500), outstanding: EUR(4500), version: 2 };
    return {
      query: `mutation ($input: PayInvoiceInput!) { payInvoice(input: $input) { amount ${MONEY} method
        invoice { id status paid ${MONEY} outstanding ${MONEY} version } } }`,
      variables: {
        input: { invoiceId: invoice.id, amount: EUR(2500), method: 'CASH', idempotencyKey: unique('pay-') },
      },
      value: { amount: EUR(2500), method: 'CASH', invoice: { id: invoice.id, ...state } },
      changes: {
        status: 'PARTIALLY_PAID',
        paid: { amount: 2500 },
        version: 2,
        payments: [{ amount: { amount: 2500 }, method: 'CASH' }],
      },
    };
  }),
  change('voidInvoice', adr.voidInvoice, (invoice) => ({
    query: `mutation ($id: ID!) { voidInvoice(id: $id, expectedVersion: 1, reason: "matrix") {
      id status voidReason version outstanding ${MONEY} } }`,
    variables: { id: invoice.id },
    value: { id: invoice.id, status: 'VOID', voidReason: 'matrix', version: 2, outstanding: EUR(0) },
    changes: { status: 'VOID', version: 2, voidReason: 'matrix' },
  })),
  crossing({
    name: 'Patient.billingAccount',
    parent: adr.readPatients,
    root: 'patient',
    field: 'billingAccount',
    selection: `{ id accountNumber balance ${MONEY} }`,
    valueFor: accountOf,
    nullable: true,
  }),
  crossing({
    name: 'Patient.invoices',
    parent: adr.readPatients,
    root: 'patient',
    field: 'invoices',
    selection: '{ totalCount edges { node { id status } } }',
    valueFor: (invoice) => ({ totalCount: 1, edges: [{ node: { id: invoice.id, status: 'ISSUED' } }] }),
    nullable: false,
  }),
  crossing({
    name: 'Appointment.invoice',
    parent: adr.readAppointments,
    root: 'appointment',
    field: 'invoice',
    selection: '{ id number status }',
    valueFor: (invoice) => ({ id: invoice.id, number: invoice.number, status: 'ISSUED' }),
    nullable: true,
  }),
];

describeOperations(operations);

// ---------------------------------------------------------------------------------------------------------
// The PDF, on the router's origin: billing answers it by asking its own invoice(id) as the caller.

describe('GET /invoices/:id/pdf through the router: every role', () => {
  const cases = [...roles, 'no token' as const].map(
    (caller) => [caller, caller === 'no token' ? 'UNAUTHENTICATED' : adr.invoiceDetails[caller]] as const,
  );

  it.each(cases)('the PDF of A’s and B’s invoice as %s: %s', async (caller) => {
    const headers = caller === 'no token' ? {} : await system.as(caller, linksOf(caller, clinic));
    for (const { invoice, own } of fixtureInvoices()) {
      const response = await fetch(new URL(`/invoices/${invoice.id}/pdf`, system.routerUrl), { headers });
      const status = caller === 'no token' ? 401 : allows(adr.invoiceDetails[caller], own) ? 200 : 403;
      const body = Buffer.from(await response.arrayBuffer());
      const what = `the PDF of ${invoice.label} as ${caller}`;
      const type = response.headers.get('content-type');
      // The document (named after the invoice), else the refusal's code.
      const got =
        type === 'application/pdf'
          ? { name: response.headers.get('content-disposition'), start: body.toString('latin1', 0, 5) }
          : { code: (JSON.parse(body.toString()) as ErrorBody).errors?.[0]?.extensions?.code };
      const code = status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN';
      const want =
        status === 200
          ? { type: 'application/pdf', name: `inline; filename="${invoice.number}.pdf"`, start: '%PDF-' }
          : { type: 'application/json; charset=utf-8', code };
      expect({ what, status: response.status, type, ...got }).toEqual({ what, status, ...want });
    }
  });
});

type ErrorBody = { errors?: Array<{ extensions?: { code?: string } }> };

// ---------------------------------------------------------------------------------------------------------
// The billing subgraph's own door, without the router.

function doorsOf(): Door[] {
  return [
    {
      root: 'invoice',
      query: 'query ($id: ID!) { invoice(id: $id) { id } }',
      variables: { id: ofA.id },
      nullable: true,
    },
    {
      root: 'invoiceByNumber',
      query: 'query ($number: String!) { invoiceByNumber(number: $number) { id } }',
      variables: { number: ofA.number },
      nullable: true,
    },
    { root: 'invoices', query: '{ invoices { totalCount } }' },
    {
      root: '_entities',
      query: `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Invoice { id status } ... on BillingAccount { id balance { amount } }
        ... on Patient { billingAccount { id } invoices { totalCount } } ... on Appointment { invoice { id } } } }`,
      variables: {
        r: [
          { __typename: 'Invoice', id: ofA.id },
          { __typename: 'BillingAccount', id: ofA.account.id },
          { __typename: 'Patient', id: clinic.A.id },
          { __typename: 'Appointment', id: ofA.visit.id },
        ],
      },
    },
    {
      root: 'payInvoice',
      query: 'mutation ($input: PayInvoiceInput!) { payInvoice(input: $input) { id } }',
      variables: {
        input: { invoiceId: ofA.id, amount: EUR(100), method: 'CARD', idempotencyKey: unique('door-') },
      },
      unchanged: billingSees(ofA),
    },
    {
      root: 'voidInvoice',
      query: 'mutation ($id: ID!) { voidInvoice(id: $id, expectedVersion: 1, reason: "door") { id } }',
      variables: { id: ofA.id },
      unchanged: billingSees(ofA),
    },
  ];
}

describeDoors('billing', doorsOf);
