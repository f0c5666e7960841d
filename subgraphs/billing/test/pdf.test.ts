import type { Readable } from 'node:stream';
import { describe, expect, it, jest } from '@jest/globals';
import { PDFParse } from 'pdf-parse';
import PDFDocument from 'pdfkit';
import { formatMoney, type InvoiceDocument, type PdfMoney, renderInvoicePdf } from '../src/pdf.ts';

// Counting pdfkit's pages shows how far layout got, which the returned stream alone cannot tell.
const pdfkitPrototype = (PDFDocument as unknown as { prototype: PDFKit.PDFDocument }).prototype;

const eur = (amount: number): PdfMoney => ({ amount, currency: 'EUR' });

function invoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    clinicName: 'Clinique Saint-Éloi',
    number: 'INV-2026-000123',
    status: 'PARTIALLY_PAID',
    issuedAt: new Date('2026-03-01T09:30:00Z'),
    dueDate: '2026-03-31',
    billTo: { name: 'Jane Doe', accountNumber: 'ACC-000042' },
    lines: [
      { description: 'General consultation', quantity: 1, unitPrice: eur(6500), amount: eur(6500) },
      { description: 'Blood panel', quantity: 2, unitPrice: eur(1250), amount: eur(2500) },
    ],
    total: eur(9000),
    paid: eur(4000),
    outstanding: eur(5000),
    payments: [
      { receivedAt: new Date('2026-03-02T12:00:00Z'), method: 'CARD', amount: eur(1500) },
      { receivedAt: new Date('2026-03-05T12:00:00Z'), method: 'BANK_TRANSFER', amount: eur(2500) },
    ],
    voidReason: null,
    ...overrides,
  };
}

function manyLines(count: number): InvoiceDocument['lines'] {
  return Array.from({ length: count }, (_, i) => ({
    description: `Physiotherapy session ${i + 1}`,
    quantity: 1,
    unitPrice: eur(4500),
    amount: eur(4500),
  }));
}

async function bytes(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

async function read(pdf: Buffer): Promise<{ text: string; pages: number; title: unknown }> {
  const parser = new PDFParse({ data: new Uint8Array(pdf) });
  try {
    const { text, total } = await parser.getText();
    const { info } = await parser.getInfo();
    return { text, pages: total, title: info?.Title };
  } finally {
    await parser.destroy();
  }
}

describe('formatMoney', () => {
  it('formats minor units with the currency code and its own number of decimals', () => {
    expect(formatMoney({ amount: 6500, currency: 'EUR' })).toBe('EUR 65.00');
    expect(formatMoney({ amount: 123456789, currency: 'EUR' })).toBe('EUR 1,234,567.89');
    expect(formatMoney({ amount: 6500, currency: 'JPY' })).toBe('JPY 6,500');
    expect(formatMoney({ amount: 65001, currency: 'KWD' })).toBe('KWD 65.001');
    expect(formatMoney({ amount: 5, currency: 'USD' })).toBe('USD 0.05');
    expect(formatMoney({ amount: -1250, currency: 'EUR' })).toBe('-EUR 12.50');
  });

  it('rejects a currency code that is not one', () => {
    expect(() => formatMoney({ amount: 1, currency: 'EURO' })).toThrow(RangeError);
  });
});

describe('renderInvoicePdf', () => {
  it('renders every part of a small invoice as extractable text', async () => {
    const doc = invoice();
    const pdf = await bytes(renderInvoicePdf(doc));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const { text, pages, title } = await read(pdf);
    expect(pages).toBe(1);
    expect(title).toBe('INV-2026-000123');
    for (const expected of [
      'Clinique Saint-Éloi',
      'INV-2026-000123',
      'PARTIALLY PAID',
      '2026-03-01',
      '2026-03-31',
      'Jane Doe',
      'ACC-000042',
      'General consultation',
      'Blood panel',
      'EUR 65.00',
      'EUR 12.50',
      'EUR 25.00',
      formatMoney(doc.total),
      formatMoney(doc.paid),
      formatMoney(doc.outstanding),
      '2026-03-02',
      'CARD',
      'EUR 15.00',
      '2026-03-05',
      'BANK_TRANSFER',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('VOID');
  });

  it('marks a void invoice VOID and gives the reason', async () => {
    const { text } = await read(
      await bytes(
        renderInvoicePdf(
          invoice({ status: 'VOID', voidReason: 'Duplicate of INV-2026-000122', payments: [] }),
        ),
      ),
    );
    expect(text).toContain('VOID');
    expect(text).toContain('Duplicate of INV-2026-000122');
    expect(text).toContain('No payments received.');
  });

  it('paginates a 2,000-line invoice, repeating the table header, while the event loop stays responsive', async () => {
    const doc = invoice({
      lines: manyLines(2000),
      total: eur(9_000_000),
      paid: eur(0),
      outstanding: eur(9_000_000),
    });
    // The first render in a process loads pdfkit's font modules synchronously (slow under jest): a one-off.
    await bytes(renderInvoicePdf(invoice()));
    // Each stretch of this process's own CPU time between two turns of a 1 ms ticker: how long layout held
    // the event loop. CPU time, not wall time: a loaded machine may deschedule the process for longer than
    // any stretch of ours, and that says nothing about the renderer.
    const stretchesMs: number[] = [];
    let ticks = 0;
    let last = process.cpuUsage();
    const ticker = setInterval(() => {
      const spent = process.cpuUsage(last);
      last = process.cpuUsage();
      stretchesMs.push((spent.user + spent.system) / 1000);
      ticks++;
    }, 1);
    const ticksAtChunk = new Set<number>();
    let pdf: Buffer;
    try {
      const stream = renderInvoicePdf(doc);
      stream.on('data', () => ticksAtChunk.add(ticks));
      pdf = await bytes(stream);
    } finally {
      clearInterval(ticker);
    }

    // A responsiveness bound, not a benchmark: layout yields every 8 ms of work, and the whole render takes
    // hundreds of ms of CPU, so a renderer that did not yield would give the loop a turn or two with one
    // long stretch. Judged on the typical stretch, not the longest: the process's CPU time also counts its
    // garbage collector's threads, and under CI's load one major collection has taken a second (stop 18).
    const sorted = [...stretchesMs].sort((a, b) => a - b);
    expect(sorted.length).toBeGreaterThan(20);
    expect(sorted[Math.floor(sorted.length * 0.9)]).toBeLessThan(50);
    // Bytes arrive across many turns of the event loop, not all at once when layout is done.
    expect(ticksAtChunk.size).toBeGreaterThan(2);

    const { text, pages } = await read(pdf);
    expect(pages).toBeGreaterThan(10);
    expect(text.match(/Unit price/g)).toHaveLength(pages);
    expect(text.match(/INV-2026-000123 \(continued\)/g)).toHaveLength(pages - 1);
    expect(text).toMatch(/^Physiotherapy session 1 1 EUR 45\.00 EUR 45\.00$/m);
    expect(text).toMatch(/^Physiotherapy session 2000 1 EUR 45\.00 EUR 45\.00$/m);
    expect(text).toContain('EUR 90,000.00');
    expect(text).toContain('Outstanding');
    expect(text.indexOf('Outstanding')).toBeGreaterThan(text.indexOf('Physiotherapy session 2000'));
  });

  it('survives hostile text: NUL bytes, emoji, and a 5,000-character description', async () => {
    const doc = invoice({
      clinicName: 'Clinic\u0000 🏥 北京',
      billTo: { name: 'Zoë 😀\u0000', accountNumber: 'ACC-000042' },
      lines: [
        { description: 'x'.repeat(5000), quantity: 1, unitPrice: eur(100), amount: eur(100) },
        {
          description: `Line\u0000with\u0007controls\nand\ttabs 💉`,
          quantity: 1,
          unitPrice: eur(100),
          amount: eur(100),
        },
        { description: 'word '.repeat(1000), quantity: 1, unitPrice: eur(100), amount: eur(100) },
      ],
      payments: [{ receivedAt: new Date('2026-03-02T12:00:00Z'), method: 'CARD 💳', amount: eur(300) }],
    });
    const { text, pages } = await read(await bytes(renderInvoicePdf(doc)));
    expect(pages).toBe(1);
    expect(text).toContain('Clinic? ? ??');
    expect(text).toContain('Zoë ??');
    expect(text).toContain('Line?with?controls and tabs ?');
    expect(text).toContain('INV-2026-000123');
    expect(text).toContain('CARD ?');
    expect(text).toContain(formatMoney(doc.outstanding));
    expect(text.match(/x/g)).toHaveLength(500); // descriptions are capped for layout
    expect(text.match(/word/g)).toHaveLength(100);
  });

  it('destroys the stream with the error when layout fails', async () => {
    const stream = renderInvoicePdf(invoice({ total: { amount: 1, currency: 'EURO' } }));
    await expect(bytes(stream)).rejects.toThrow(RangeError);
    expect(stream.destroyed).toBe(true);
  });

  it('pauses layout while the reader is not reading', async () => {
    const addPage = jest.spyOn(pdfkitPrototype, 'addPage');
    const stream = renderInvoicePdf(invoice({ lines: manyLines(20_000) })); // ~400 pages
    try {
      let previous = -1;
      for (let waited = 0; waited < 10_000 && addPage.mock.calls.length !== previous; waited += 300) {
        previous = addPage.mock.calls.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      // Layout stopped once ~128 KB (about 80 pages) sat unread in the stream's buffers.
      expect(stream.readableLength).toBeGreaterThan(0);
      expect(addPage.mock.calls.length).toBeLessThan(200);
    } finally {
      stream.destroy();
      addPage.mockRestore();
    }
  });

  it('stops laying out when the reader goes away mid-download', async () => {
    const addPage = jest.spyOn(pdfkitPrototype, 'addPage');
    const stream = renderInvoicePdf(invoice({ lines: manyLines(20_000) }));
    try {
      for await (const _ of stream) break; // reads one chunk, then destroys the stream
      const pages = addPage.mock.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stream.destroyed).toBe(true);
      expect(addPage.mock.calls.length).toBe(pages); // layout was waiting between slices, and stopped there
    } finally {
      addPage.mockRestore();
    }
  });
});
