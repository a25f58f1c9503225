import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Local stand-ins for one AWS region's messaging endpoints, speaking the real wire formats the
// AWS SDK v3 clients use, so the real clients run against them:
//   SES v2 SendEmail          POST /v2/email/outbound-emails                    (restJson1, signing name "ses")
//   SES v2 SendBulkEmail      POST /v2/email/outbound-bulk-emails               (restJson1, "ses"; ≤ 50 entries,
//                             inline TemplateContent rendered per entry with its ReplacementTemplateData,
//                             one BulkEmailEntryResults status per entry, in order)
//   Pinpoint SendMessages     POST /v1/apps/{ApplicationId}/messages            (restJson1, "mobiletargeting")
//   SMS v2 SendTextMessage    POST / + X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage (awsJson1_0, "sms-voice")
// Errors carry `x-amzn-ErrorType` and the service's error body. A region can be up, down (503 for
// everything) or throttling (429 / ThrottlingException for the next N requests). Every request must
// be SigV4-signed for the right service, as AWS would insist.
//
// Run alone (benches): node --import tsx test/support/fakeAws.ts --regions us-east-1,us-west-2
// prints {"regions":{"us-east-1":"http://127.0.0.1:…"},"control":"http://127.0.0.1:…"} and serves
// GET /stats and POST /mode?region=…&mode=up|down|throttle&count=N on the control port.

export type RegionMode = 'up' | 'down' | 'throttle';

export interface ReceivedMessage {
  service: 'ses' | 'pinpoint' | 'sms-v2';
  region: string;
  address: string;
  /** SES: subject; SMS/push: body. */
  text: string;
  /** SES bulk: the entry's rendered HTML and text parts. */
  html?: string;
  body?: string;
  headers?: Record<string, string>;
  raw: unknown;
}

/** What a region answers for one address (Pinpoint DeliveryStatus, or SES/SMS v2 error names). */
export type AddressRule = (address: string, service: ReceivedMessage['service'], seen: number) => string | undefined;

export interface FakeRegionOptions {
  region: string;
  /** Keep every message (tests); otherwise count only (benches). */
  record?: boolean;
  rule?: AddressRule;
  /** Milliseconds each request takes. */
  latencyMs?: number;
}

function serviceOf(req: IncomingMessage): ReceivedMessage['service'] | undefined {
  if (String(req.headers['x-amz-target'] ?? '').startsWith('PinpointSMSVoiceV2.')) return 'sms-v2';
  return req.url?.startsWith('/v2/email/') ? 'ses' : req.url?.startsWith('/v1/apps/') ? 'pinpoint' : undefined;
}

export class FakeAwsRegion {
  readonly region: string;
  mode: RegionMode = 'up';
  throttleLeft = 0;
  rule?: AddressRule;
  readonly received: ReceivedMessage[] = [];
  /** Accepted messages per address (duplicates show as counts above 1). */
  readonly counts = new Map<string, number>();
  requests = 0;
  rejectedRequests = 0;
  unsigned = 0;
  private seen = new Map<string, number>();
  private server!: Server;
  url = '';

  constructor(private readonly o: FakeRegionOptions) {
    this.region = o.region;
    this.rule = o.rule;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  setMode(mode: RegionMode, throttleCount = Infinity): void {
    this.mode = mode;
    this.throttleLeft = mode === 'throttle' ? throttleCount : 0;
  }

  accepted(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  private sequence = 0;
  /** Message ids unique per region and run (a counter: a million random UUIDs cost the benches' shared CPU). */
  private messageId(prefix: string): string {
    return `${prefix}-${this.region}-${(++this.sequence).toString(36)}`;
  }

  private count(address: string): void {
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
  }

  /** SES v2 SendBulkEmail: a templated default content and up to 50 entries, each answered in order. */
  private bulkEmail(parsed: Record<string, unknown>, ruled: Ruled, ok: Reply, fail: Fail): void {
    const request = parsed as {
      FromEmailAddress?: string;
      DefaultContent?: {
        Template?: {
          TemplateContent?: { Subject?: string; Text?: string; Html?: string };
          TemplateName?: string;
          TemplateData?: string;
          Headers?: { Name: string; Value: string }[];
        };
      };
      BulkEmailEntries?: {
        Destination?: { ToAddresses?: string[] };
        ReplacementEmailContent?: { ReplacementTemplate?: { ReplacementTemplateData?: string } };
        ReplacementHeaders?: { Name: string; Value: string }[];
      }[];
      ConfigurationSetName?: string;
    };
    const template = request.DefaultContent?.Template;
    const entries = request.BulkEmailEntries ?? [];
    if (!request.FromEmailAddress) return fail(400, 'BadRequestException', 'FromEmailAddress is required');
    if (!template) return fail(400, 'BadRequestException', 'DefaultContent must be a Template');
    if (template.TemplateName) return fail(404, 'NotFoundException', `Template ${template.TemplateName} does not exist`);
    if (!template.TemplateContent?.Subject) return fail(400, 'BadRequestException', 'TemplateContent needs a Subject');
    if (entries.length === 0 || entries.length > 50)
      return fail(400, 'BadRequestException', `1 to 50 BulkEmailEntries per request, got ${entries.length}`);
    let defaults: Record<string, unknown>;
    try {
      defaults = JSON.parse(template.TemplateData ?? '{}');
    } catch {
      return fail(400, 'BadRequestException', 'TemplateData is not JSON');
    }
    const results: { Status: string; Error?: string; MessageId?: string }[] = [];
    for (const entry of entries) {
      const to = entry.Destination?.ToAddresses ?? [];
      if (to.length !== 1) {
        results.push({ Status: 'INVALID_PARAMETER', Error: 'one recipient per entry' });
        continue;
      }
      let data: Record<string, unknown>;
      try {
        data = {
          ...defaults,
          ...JSON.parse(entry.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? '{}'),
        };
      } catch {
        results.push({ Status: 'INVALID_PARAMETER', Error: 'ReplacementTemplateData is not JSON' });
        continue;
      }
      const verdict = ruled(to[0]!);
      if (verdict) {
        results.push({ Status: BULK_STATUS[verdict] ?? verdict, Error: `${verdict} for ${to[0]}` });
        continue;
      }
      this.count(to[0]!);
      if (this.o.record) {
        const c = template.TemplateContent;
        const headers = [...(template.Headers ?? []), ...(entry.ReplacementHeaders ?? [])];
        this.received.push({
          service: 'ses',
          region: this.region,
          address: to[0]!,
          text: renderSesTemplate(c.Subject!, data),
          body: renderSesTemplate(c.Text ?? '', data),
          html: renderSesTemplate(c.Html ?? '', data),
          headers: Object.fromEntries(headers.map((h) => [h.Name, h.Value])),
          raw: { ...request, BulkEmailEntries: [entry] },
        });
      }
      results.push({ Status: 'SUCCESS', MessageId: this.messageId('ses') });
    }
    ok({ BulkEmailEntryResults: results });
  }

  /** Requests being answered now, and the most at once, per service (what a concurrency cap bounds). */
  readonly inFlight = new Map<ReceivedMessage['service'], number>();
  readonly maxInFlight = new Map<ReceivedMessage['service'], number>();

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = serviceOf(req);
    if (!service) return this.answer(req, res);
    const now = (this.inFlight.get(service) ?? 0) + 1;
    this.inFlight.set(service, now);
    this.maxInFlight.set(service, Math.max(now, this.maxInFlight.get(service) ?? 0));
    try {
      await this.answer(req, res);
    } finally {
      this.inFlight.set(service, this.inFlight.get(service)! - 1);
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests++;
    if (this.o.latencyMs) await new Promise((r) => setTimeout(r, this.o.latencyMs));
    const target = String(req.headers['x-amz-target'] ?? '');
    const service = serviceOf(req);
    const json = service === 'sms-v2';
    const fail = (status: number, type: string, message: string) => {
      this.rejectedRequests++;
      res.writeHead(status, {
        'content-type': json ? 'application/x-amz-json-1.0' : 'application/json',
        'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws/`,
        'x-amzn-requestid': randomUUID(),
      });
      res.end(JSON.stringify(json ? { __type: type, Message: message } : { message, Message: message, RequestID: randomUUID() }));
    };
    if (!service || req.method !== 'POST') return fail(404, 'UnknownOperationException', `no operation ${req.method} ${req.url}`);
    const signingName = service === 'ses' ? 'ses' : service === 'pinpoint' ? 'mobiletargeting' : 'sms-voice';
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('AWS4-HMAC-SHA256 ') || !auth.includes(`/${this.region}/${signingName}/aws4_request`)) {
      this.unsigned++;
      return fail(403, 'UnrecognizedClientException', `request not signed for ${this.region}/${signingName}`);
    }
    if (this.mode === 'down')
      return fail(503, service === 'sms-v2' ? 'InternalServerException' : 'ServiceUnavailable', 'Service Unavailable');
    if (this.mode === 'throttle' && this.throttleLeft > 0) {
      this.throttleLeft--;
      if (this.throttleLeft === 0) this.mode = 'up';
      if (service === 'sms-v2') return fail(400, 'ThrottlingException', 'Rate exceeded');
      return fail(429, 'TooManyRequestsException', 'Too many requests');
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body);
    } catch {
      return fail(400, service === 'sms-v2' ? 'ValidationException' : 'BadRequestException', 'body is not JSON');
    }
    const ruled = (address: string) => {
      // Benches set no rule: nothing to remember per address.
      if (!this.rule) return undefined;
      const key = `${service} ${address}`;
      const seen = (this.seen.get(key) ?? 0) + 1;
      this.seen.set(key, seen);
      return this.rule?.(address, service, seen);
    };
    const ok = (data: unknown) => {
      res.writeHead(200, {
        'content-type': json ? 'application/x-amz-json-1.0' : 'application/json',
        'x-amzn-requestid': randomUUID(),
      });
      res.end(JSON.stringify(data));
    };

    if (service === 'ses' && req.url === '/v2/email/outbound-bulk-emails') return this.bulkEmail(parsed, ruled, ok, fail);

    if (service === 'ses') {
      const to = (parsed.Destination as { ToAddresses?: string[] } | undefined)?.ToAddresses ?? [];
      const simple = (
        parsed.Content as { Simple?: { Subject?: { Data?: string }; Headers?: { Name: string; Value: string }[] } } | undefined
      )?.Simple;
      if (to.length !== 1 || !simple?.Subject?.Data || !parsed.FromEmailAddress)
        return fail(400, 'BadRequestException', 'one recipient, a subject and a sender are required');
      const verdict = ruled(to[0]!);
      if (verdict) return fail(verdict === 'TooManyRequestsException' ? 429 : 400, verdict, `${verdict} for ${to[0]}`);
      this.count(to[0]!);
      if (this.o.record)
        this.received.push({
          service,
          region: this.region,
          address: to[0]!,
          text: simple.Subject.Data,
          headers: Object.fromEntries((simple.Headers ?? []).map((h) => [h.Name, h.Value])),
          raw: parsed,
        });
      return ok({ MessageId: this.messageId('ses') });
    }

    if (service === 'pinpoint') {
      const request = parsed as {
        Addresses?: Record<string, { ChannelType?: string }>;
        MessageConfiguration?: Record<string, { Body?: string }>;
        Endpoints?: unknown;
      };
      if (request.Endpoints)
        return fail(400, 'BadRequestException', 'Endpoints are an engagement feature that ended on 2026-10-30');
      const addresses = Object.keys(request.Addresses ?? {});
      if (addresses.length === 0 || addresses.length > 100)
        return fail(400, 'BadRequestException', `1 to 100 addresses per request, got ${addresses.length}`);
      if (!request.MessageConfiguration) return fail(400, 'BadRequestException', 'MessageConfiguration is required');
      const cfg = request.MessageConfiguration;
      const text = cfg.SMSMessage?.Body ?? cfg.DefaultPushNotificationMessage?.Body ?? cfg.VoiceMessage?.Body ?? '';
      const result: Record<string, unknown> = {};
      for (const a of addresses) {
        const status = ruled(a) ?? 'SUCCESSFUL';
        if (status === 'SUCCESSFUL') {
          this.count(a);
          if (this.o.record)
            this.received.push({
              service,
              region: this.region,
              address: a,
              text,
              raw: { channelType: request.Addresses![a]!.ChannelType, config: cfg },
            });
          result[a] = {
            DeliveryStatus: 'SUCCESSFUL',
            StatusCode: 200,
            StatusMessage: 'MessageId: m',
            MessageId: this.messageId('pp'),
          };
        } else
          result[a] = {
            DeliveryStatus: status,
            StatusCode: status === 'THROTTLED' ? 429 : status === 'TEMPORARY_FAILURE' ? 500 : 400,
            StatusMessage: status,
          };
      }
      return ok({ ApplicationId: req.url!.split('/')[3], RequestId: randomUUID(), Result: result });
    }

    // SMS v2 (the SES and Pinpoint paths returned above)
    if (target !== 'PinpointSMSVoiceV2.SendTextMessage') return fail(400, 'UnknownOperationException', target);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return fail(400, 'ValidationException', 'content type');
    const phone = String(parsed.DestinationPhoneNumber ?? '');
    if (!/^\+?[1-9][0-9]{1,18}$/.test(phone)) return fail(400, 'ValidationException', 'DestinationPhoneNumber');
    const verdict = ruled(phone);
    if (verdict === 'OPTED_OUT') {
      this.rejectedRequests++;
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ConflictException' });
      return void res.end(
        JSON.stringify({
          __type: 'ConflictException',
          Message: 'destination opted out',
          Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
          ResourceType: 'opt-out',
          ResourceId: phone,
        }),
      );
    }
    if (verdict) return fail(400, verdict, `${verdict} for ${phone}`);
    this.count(phone);
    if (this.o.record)
      this.received.push({ service, region: this.region, address: phone, text: String(parsed.MessageBody ?? ''), raw: parsed });
    return ok({ MessageId: this.messageId('sms') });
  }
}

type Ruled = (address: string) => string | undefined;
type Reply = (data: unknown) => void;
type Fail = (status: number, type: string, message: string) => void;

/** SES v2's per-entry status for what a rule names (SendEmail error names map to their bulk status). */
const BULK_STATUS: Record<string, string> = {
  MessageRejected: 'MESSAGE_REJECTED',
  TooManyRequestsException: 'ACCOUNT_THROTTLED',
  LimitExceededException: 'ACCOUNT_THROTTLED',
  SendingPausedException: 'ACCOUNT_SENDING_PAUSED',
  AccountSuspendedException: 'ACCOUNT_SUSPENDED',
  MailFromDomainNotVerifiedException: 'MAIL_FROM_DOMAIN_NOT_VERIFIED',
  BadRequestException: 'INVALID_PARAMETER',
};

/** SES templates are Handlebars; the variables Herald uses are plain names ({{x}} HTML-escaped, {{{x}}} raw). */
export function renderSesTemplate(template: string, data: Record<string, unknown>): string {
  const escape = (v: string) => v.replace(/[&<>"'`=]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
  return template.replace(
    /\{\{\{\s*([\w.]+)\s*\}\}\}|\{\{\s*([\w.]+)\s*\}\}/g,
    (_, raw: string | undefined, esc: string | undefined) => {
      const v = data[(raw ?? esc)!];
      const text = v === undefined || v === null ? '' : String(v);
      return raw ? text : escape(text);
    },
  );
}

/** Several regions, started together. */
export async function startFakeAws(
  regions: string[],
  o: Omit<FakeRegionOptions, 'region'> = {},
): Promise<Record<string, FakeAwsRegion>> {
  const out: Record<string, FakeAwsRegion> = {};
  for (const region of regions) out[region] = await new FakeAwsRegion({ ...o, region }).start();
  return out;
}

/** "us-east-1=http://…,us-west-2=http://…", as HERALD_*_ENDPOINTS want it. */
export function endpointsOf(fakes: Record<string, FakeAwsRegion>): string {
  return Object.values(fakes)
    .map((f) => `${f.region}=${f.url}`)
    .join(',');
}

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDLOCALFAKE', secretAccessKey: 'local-fake-secret' };

/** Totals over regions: accepted messages, distinct addresses, and repeats (duplicates). */
export function fakeTotals(fakes: FakeAwsRegion[]): { accepted: number; unique: number; duplicates: number } {
  const all = new Map<string, number>();
  for (const f of fakes) for (const [a, n] of f.counts) all.set(a, (all.get(a) ?? 0) + n);
  let accepted = 0;
  for (const n of all.values()) accepted += n;
  return { accepted, unique: all.size, duplicates: accepted - all.size };
}

async function main() {
  const args = process.argv.slice(2);
  const regions = (args[args.indexOf('--regions') + 1] ?? 'us-east-1,us-west-2').split(',');
  const fakes = await startFakeAws(regions);
  const control = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/stats') {
      const perRegion = Object.fromEntries(
        Object.values(fakes).map((f) => [
          f.region,
          { requests: f.requests, accepted: f.accepted(), rejected: f.rejectedRequests, unsigned: f.unsigned },
        ]),
      );
      res.end(JSON.stringify({ ...fakeTotals(Object.values(fakes)), perRegion }));
    } else if (url.pathname === '/mode') {
      const f = fakes[url.searchParams.get('region') ?? ''];
      if (!f) return void res.writeHead(404).end();
      f.setMode(url.searchParams.get('mode') as RegionMode, Number(url.searchParams.get('count') ?? Infinity));
      res.end('{}');
    } else if (url.pathname === '/reset') {
      for (const f of Object.values(fakes)) f.counts.clear();
      res.end('{}');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  console.log(
    JSON.stringify({
      regions: Object.fromEntries(Object.values(fakes).map((f) => [f.region, f.url])),
      control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    }),
  );
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) void main();
