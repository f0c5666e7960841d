import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from '@hsg/kit';
import type { Route } from '@hsg/kit/http';
import { type InvoiceDocument, renderInvoicePdf } from './pdf.ts';

/** Everything the PDF shows, asked of the subgraph's own GraphQL as the caller: same rules, same audit. */
const INVOICE_PDF = `query InvoicePdf($id: ID!) {
  invoice(id: $id) {
    number status issuedAt dueDate voidReason
    lines { description quantity unitPrice { amount currency } amount { amount currency } }
    total { amount currency } paid { amount currency } outstanding { amount currency }
    payments { receivedAt method amount { amount currency } }
    account { accountNumber holderName }
  }
}`;

interface InvoiceAnswer {
  data?: {
    invoice:
      | (Omit<InvoiceDocument, 'clinicName' | 'issuedAt' | 'payments' | 'billTo'> & {
          issuedAt: string;
          payments: Array<{ receivedAt: string; method: string; amount: InvoiceDocument['total'] }>;
          account: { accountNumber: string; holderName: string | null };
        })
      | null;
  } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** The HTTP status a GraphQL error code stands for on this route (anything else: 503, try again). */
const statusOf: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404 };

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

/** This server's own /graphql, at the address the request came in on. */
function ownGraphqlUrl(request: IncomingMessage): string {
  const { localAddress = '127.0.0.1', localPort } = request.socket;
  const host = localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  return `http://${host}:${localPort}/graphql`;
}

/**
 * GET /invoices/:id/pdf. The route runs `invoice(id)` through the subgraph's own /graphql with the
 * caller's Authorization header (a loopback request), so token verification, scopes, policies and the
 * audit record are exactly those of GraphQL; then streams the rendered PDF.
 */
export function invoicePdfRoute({ clinicName, logger }: { clinicName: string; logger: Logger }): Route {
  return {
    method: 'GET',
    path: '/invoices/:id/pdf',
    async handler(request, response, params) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (request.headers.authorization) headers.authorization = request.headers.authorization;
      if (typeof request.headers.traceparent === 'string') headers.traceparent = request.headers.traceparent;
      const answer = await fetch(ownGraphqlUrl(request), {
        method: 'POST',
        headers,
        body: JSON.stringify({
          query: INVOICE_PDF,
          variables: { id: params.id ?? '' },
          operationName: 'InvoicePdf',
        }),
      });
      const result = (await answer.json().catch(() => ({}))) as InvoiceAnswer;
      const error = result.errors?.[0];
      if (error) {
        const code = error.extensions?.code ?? 'UNAVAILABLE';
        const status = statusOf[code] ?? (code === 'BAD_USER_INPUT' ? 404 : 503);
        return sendError(response, status, code, status === 404 ? 'No such invoice' : error.message);
      }
      const invoice = result.data?.invoice;
      if (!invoice) return sendError(response, 404, 'NOT_FOUND', 'No such invoice');
      const document: InvoiceDocument = {
        ...invoice,
        clinicName,
        issuedAt: new Date(invoice.issuedAt),
        billTo: { name: invoice.account.holderName, accountNumber: invoice.account.accountNumber },
        payments: invoice.payments.map((payment) => ({
          ...payment,
          receivedAt: new Date(payment.receivedAt),
        })),
      };
      response.writeHead(200, {
        'content-type': 'application/pdf',
        'content-disposition': `inline; filename="${invoice.number}.pdf"`,
        'cache-control': 'no-store',
      });
      await new Promise<void>((resolve) => {
        // A client that goes away, or a render that fails, ends the stream here and nothing else.
        pipeline(renderInvoicePdf(document), response, (failure) => {
          if (failure && failure.code !== 'ERR_STREAM_PREMATURE_CLOSE')
            logger.warn({ err: { code: failure.code, type: failure.name } }, 'invoice pdf stream failed');
          resolve();
        });
      });
    },
  };
}
