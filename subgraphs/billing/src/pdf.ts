import { PassThrough, pipeline, type Readable } from 'node:stream';
import PDFDocument from 'pdfkit';

/** Minor units (cents) and an ISO 4217 code. */
export interface PdfMoney {
  amount: number;
  currency: string;
}

export interface InvoiceDocument {
  clinicName: string;
  number: string;
  status: 'ISSUED' | 'PARTIALLY_PAID' | 'PAID' | 'VOID';
  issuedAt: Date;
  dueDate: string;
  billTo: { name: string | null; accountNumber: string };
  lines: Array<{ description: string; quantity: number; unitPrice: PdfMoney; amount: PdfMoney }>;
  total: PdfMoney;
  paid: PdfMoney;
  outstanding: PdfMoney;
  payments: Array<{ receivedAt: Date; method: string; amount: PdfMoney }>;
  voidReason: string | null;
}

type Doc = PDFKit.PDFDocument;
interface Column {
  header: string;
  width: number;
  align: 'left' | 'right';
}

const MARGIN = 50;
const PAD = 4;
// Layout yields after this long, not after so many rows: rows vary 10x in cost and machines in speed.
const SLICE_MS = 8;
const MAX_DESCRIPTION = 500;
const LINE_COLUMNS: Column[] = [
  { header: 'Description', width: 255, align: 'left' },
  { header: 'Qty', width: 50, align: 'right' },
  { header: 'Unit price', width: 95, align: 'right' },
  { header: 'Amount', width: 95, align: 'right' },
];
const PAYMENT_COLUMNS: Column[] = [
  { header: 'Date', width: 100, align: 'left' },
  { header: 'Method', width: 300, align: 'left' },
  { header: 'Amount', width: 95, align: 'right' },
];

// Intl.NumberFormat is slow to build; a 2,000-line invoice would build thousands. Invalid codes throw
// before they are cached, so the cache holds at most the valid three-letter codes.
const moneyFormats = new Map<string, { format: Intl.NumberFormat; scale: number }>();
const quantityFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

export function formatMoney({ amount, currency }: PdfMoney): string {
  let entry = moneyFormats.get(currency);
  if (!entry) {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code' });
    entry = { format, scale: 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2) };
    moneyFormats.set(currency, entry);
  }
  // Intl separates code and number with a no-break space; a plain one reads and searches the same everywhere.
  return entry.format.format(amount / entry.scale).replace(/\u00a0/g, ' ');
}

// The standard 14 fonts (Helvetica) only encode WinAnsi: pdfkit writes any other UTF-16 code unit as a
// garbage glyph code, so control characters, emoji, CJK… become "?" (whitespace controls become spaces).
// Embedding a Unicode font would fix that at the cost of a font file per document. Text is also capped so
// one hostile field cannot make a cell taller than a page.
const WIN_ANSI_HIGH = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
function pdfText(value: string, max = 200): string {
  let out = '';
  let count = 0;
  for (const char of value) {
    if (count++ === max) return `${out}…`;
    const code = char.codePointAt(0) ?? 0;
    if (code === 9 || code === 10 || code === 13) out += ' ';
    else if ((code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_HIGH.has(char))
      out += char;
    else out += '?';
  }
  return out;
}

/** Dates print as their UTC calendar day, the same day whichever zone the server runs in. */
const isoDate = (date: Date) => date.toISOString().slice(0, 10);
const bottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom;

function rowHeight(doc: Doc, columns: Column[], cells: string[], bold = false): number {
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
  return Math.max(
    ...cells.map((cell, i) => {
      const width = (columns[i]?.width ?? 0) - PAD;
      // Most cells fit on one line: measuring the width is much cheaper than running the line wrapper.
      return doc.widthOfString(cell) <= width
        ? doc.currentLineHeight(true)
        : doc.heightOfString(cell, { width });
    }),
  );
}

/** Draws one row at doc.y in the font rowHeight() set; pagination is the caller's job. */
function drawCells(doc: Doc, columns: Column[], cells: string[], height: number): void {
  const y = doc.y;
  let x = MARGIN;
  for (const [i, column] of columns.entries()) {
    const cell = cells[i] ?? '';
    const width = column.width - PAD;
    const textWidth = doc.widthOfString(cell);
    const fits = textWidth <= width;
    const indent = fits && column.align === 'right' ? width - textWidth : 0;
    doc.text(cell, x + PAD / 2 + indent, y, fits ? { lineBreak: false } : { width, align: column.align });
    x += column.width;
  }
  doc.y = y + height + 3;
}

function drawRow(doc: Doc, columns: Column[], cells: string[], bold = false): void {
  drawCells(doc, columns, cells, rowHeight(doc, columns, cells, bold));
}

function drawHeaderRow(doc: Doc, columns: Column[]): void {
  const headers = columns.map((column) => column.header);
  drawRow(doc, columns, headers, true);
  const width = columns.reduce((sum, column) => sum + column.width, 0);
  doc.lineWidth(0.5).moveTo(MARGIN, doc.y - 1);
  doc.lineTo(MARGIN + width, doc.y - 1).stroke();
  doc.y += 3;
}

/** Starts a page whose first line names the invoice, so a loose page still says what it belongs to. */
function continuePage(doc: Doc, invoice: InvoiceDocument): void {
  doc.addPage();
  const status = invoice.status === 'VOID' ? ' - VOID' : '';
  doc.font('Helvetica').fontSize(8).fillColor('grey');
  doc.text(`${pdfText(invoice.number, 60)} (continued)${status}`, MARGIN, MARGIN).fillColor('black');
  doc.moveDown();
}

/** Gives the event loop a turn and waits while the reader is behind, so many downloads share the process. */
async function yieldTo(out: PassThrough): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (out.writableNeedDrain) {
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done).off('close', done);
        resolve();
      };
      out.on('drain', done).on('close', done);
    });
  }
  if (out.destroyed) throw new Error('invoice PDF reader went away'); // ends layout; destroy() is then a no-op
}

/** Lays rows out a slice at a time, repeating the header on each new page. */
async function drawTable<T>(
  doc: Doc,
  out: PassThrough,
  invoice: InvoiceDocument,
  columns: Column[],
  rows: T[],
  toCells: (row: T) => string[],
): Promise<void> {
  drawHeaderRow(doc, columns);
  let sliceStart = performance.now();
  for (const row of rows) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldTo(out);
      sliceStart = performance.now();
    }
    const cells = toCells(row);
    const height = rowHeight(doc, columns, cells);
    if (doc.y + height > bottom(doc)) {
      continuePage(doc, invoice);
      drawHeaderRow(doc, columns);
      doc.font('Helvetica').fontSize(9); // back from the bold header
    }
    drawCells(doc, columns, cells, height);
  }
}

function ensureSpace(doc: Doc, invoice: InvoiceDocument, height: number): void {
  if (doc.y + height > bottom(doc)) continuePage(doc, invoice);
}

async function layout(out: PassThrough, invoice: InvoiceDocument): Promise<void> {
  const title = invoice.number.slice(0, 200);
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: title } });
  // pdfkit flushes each finished page; pipeline carries errors both ways and stops `doc` if the reader quits.
  pipeline(doc, out, () => {});
  const width = doc.page.width - 2 * MARGIN;
  doc.font('Helvetica-Bold').fontSize(18).text(pdfText(invoice.clinicName), MARGIN, MARGIN, { width });
  doc.font('Helvetica').fontSize(10).moveDown(0.5);
  doc.text(`Invoice ${pdfText(invoice.number, 60)}`, { width });
  doc.text(`Status: ${invoice.status.replace('_', ' ')}`);
  doc.text(`Issued: ${isoDate(invoice.issuedAt)}    Due: ${pdfText(invoice.dueDate, 20)}`);
  doc.moveDown(0.5).font('Helvetica-Bold').text('Bill to');
  doc.font('Helvetica').text(pdfText(invoice.billTo.name ?? '-'), { width });
  doc.text(`Account ${pdfText(invoice.billTo.accountNumber, 60)}`, { width });
  if (invoice.status === 'VOID') {
    doc.moveDown(0.5).font('Helvetica-Bold').fontSize(28).fillColor('red').text('VOID');
    const reason = pdfText(invoice.voidReason ?? 'not given', MAX_DESCRIPTION);
    doc.fontSize(10).text(`Reason: ${reason}`, { width });
    doc.fillColor('black');
  }
  doc.moveDown();

  await drawTable(doc, out, invoice, LINE_COLUMNS, invoice.lines, (line) => [
    pdfText(line.description, MAX_DESCRIPTION),
    quantityFormat.format(line.quantity),
    formatMoney(line.unitPrice),
    formatMoney(line.amount),
  ]);

  // Totals sit under the last two columns, labels right-aligned against the amounts.
  const totalColumns: Column[] = [
    { header: '', width: 305, align: 'left' },
    { header: '', width: 95, align: 'right' },
    { header: '', width: 95, align: 'right' },
  ];
  ensureSpace(doc, invoice, 60);
  doc.y += 6;
  drawRow(doc, totalColumns, ['', 'Total', formatMoney(invoice.total)], true);
  drawRow(doc, totalColumns, ['', 'Paid', formatMoney(invoice.paid)]);
  drawRow(doc, totalColumns, ['', 'Outstanding', formatMoney(invoice.outstanding)], true);

  ensureSpace(doc, invoice, 60);
  doc.moveDown().font('Helvetica-Bold').fontSize(11).text('Payments', MARGIN, doc.y);
  doc.moveDown(0.3);
  if (invoice.payments.length === 0) doc.font('Helvetica').fontSize(9).text('No payments received.');
  else
    await drawTable(doc, out, invoice, PAYMENT_COLUMNS, invoice.payments, (payment) => [
      isoDate(payment.receivedAt),
      pdfText(payment.method, 100),
      formatMoney(payment.amount),
    ]);
  doc.end();
}

/** Streams the invoice as a PDF: the bytes start flowing before a big invoice is fully laid out. */
export function renderInvoicePdf(invoice: InvoiceDocument): Readable {
  const out = new PassThrough();
  // An async layout turns every failure, the first synchronous slice included, into a destroyed stream.
  layout(out, invoice).catch((error: unknown) => out.destroy(error as Error));
  return out;
}
