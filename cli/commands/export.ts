import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type HeraldConfig } from '../../core/config';
import { loadPlan } from '../../core/plan/load';

// `herald export …`: configuration for the edge in front of a customer-facing app, pointing it at
// the pages Herald publishes (502/503/504/404 and maintenance.html), printed as JSON to paste into
// CloudFormation, Terraform, the AWS CLI or an OpenAPI file. These are control-plane changes:
// apply them before an incident, never during one.

/** CloudFront's managed "CachingOptimized" cache policy. */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ERROR_CODES = [502, 503, 504] as const;

const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number of seconds');
  return n;
};

interface Common {
  plan?: string;
  statusUrl?: string;
}

function context(opts: Common): { config: HeraldConfig; statusUrl: string } {
  const config = loadConfig();
  const plan = loadPlan(opts.plan ? resolve(opts.plan) : config.planFile, config.templatesDir);
  return { config, statusUrl: (opts.statusUrl ?? plan.page.url).replace(/\/+$/, '') };
}

export interface CloudFrontOptions extends Common {
  originDomain?: string;
  s3Origin?: boolean;
  minTtl: number;
  maintenance?: boolean;
}

/** Origins (or a two-region origin group), cache behaviors and CustomErrorResponses for a distribution. */
export function cloudFrontErrorResponses(config: HeraldConfig, statusUrl: string, opts: CloudFrontOptions) {
  const url = new URL(statusUrl);
  const port = url.port ? Number(url.port) : undefined;
  const originPath = config.publish.s3Prefix ? `/${config.publish.s3Prefix.replace(/\/+$/, '')}` : '';
  const buckets = opts.s3Origin ? config.publish.s3 : [];
  const origins =
    buckets.length > 0
      ? buckets.map((b) => ({
          Id: `herald-status-${b.region}`,
          DomainName: `${b.bucket}.s3.${b.region}.amazonaws.com`,
          OriginPath: originPath,
          S3OriginConfig: { OriginAccessIdentity: '' },
          OriginAccessControlId: '<your origin access control id>',
        }))
      : [
          {
            Id: 'herald-status',
            DomainName: opts.originDomain ?? url.hostname,
            OriginPath: '',
            CustomOriginConfig: {
              HTTPPort: !opts.originDomain && port && url.protocol === 'http:' ? port : 80,
              HTTPSPort: !opts.originDomain && port && url.protocol === 'https:' ? port : 443,
              OriginProtocolPolicy: !opts.originDomain && url.protocol === 'http:' ? 'http-only' : 'https-only',
              OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            },
          },
        ];
  // Two regional buckets: CloudFront fails over to the second when the first answers 5xx or not at all.
  const originGroups =
    origins.length > 1
      ? {
          Quantity: 1,
          Items: [
            {
              Id: 'herald-status',
              FailoverCriteria: { StatusCodes: { Quantity: 4, Items: [500, 502, 503, 504] } },
              Members: { Quantity: 2, Items: origins.slice(0, 2).map((o) => ({ OriginId: o.Id })) },
            },
          ],
        }
      : undefined;
  const targetOriginId = originGroups ? 'herald-status' : origins[0]!.Id;
  const behavior = (pathPattern: string) => ({
    PathPattern: pathPattern,
    TargetOriginId: targetOriginId,
    ViewerProtocolPolicy: 'redirect-to-https',
    AllowedMethods: { Quantity: 2, Items: ['GET', 'HEAD'], CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] } },
    CachePolicyId: CACHING_OPTIMIZED,
    Compress: true,
  });
  const page = (code: number) => (opts.maintenance ? '/maintenance.html' : `/${code}.html`);
  const items = [
    ...ERROR_CODES.map((code) => ({
      ErrorCode: code,
      ResponsePagePath: page(code),
      ResponseCode: opts.maintenance ? '503' : String(code),
      ErrorCachingMinTTL: opts.minTtl,
    })),
    { ErrorCode: 404, ResponsePagePath: '/404.html', ResponseCode: '404', ErrorCachingMinTTL: opts.minTtl },
  ];
  return {
    Comment: `Herald: error pages from ${statusUrl}. Add the origin(s) and cache behaviors to the distribution, then the custom error responses. The pages sit on their own origin so CloudFront can fetch them while the app's origin fails. A 503 from CloudFront's own capacity limits skips custom pages.`,
    Origins: { Quantity: origins.length, Items: origins },
    ...(originGroups ? { OriginGroups: originGroups } : {}),
    CacheBehaviors: { Quantity: 3, Items: [behavior('/50?.html'), behavior('/404.html'), behavior('/maintenance.html')] },
    CustomErrorResponses: { Quantity: items.length, Items: items },
  };
}

export interface ApiGatewayOptions extends Common {
  format: 'openapi' | 'cloudformation' | 'cli';
  retryAfter: number;
  restApiId?: string;
}

/** Gateway responses that answer RFC 9457 problem details pointing at the status page. */
export function apiGatewayResponses(statusUrl: string, opts: ApiGatewayOptions) {
  const quote = (v: string) => `'${v.replace(/'/g, '')}'`;
  const problem = (type: string, title: string, status: number | null) =>
    `{"type":"${statusUrl}/problems/${type}","title":"${title}",${status ? `"status":${status},` : ''}"detail":$context.error.messageString,"instance":"urn:request:$context.requestId","status_page":"${statusUrl}"}`;
  const response = (type: string, title: string, status: number | null, retry: boolean) => ({
    responseParameters: {
      'gatewayresponse.header.Content-Type': quote('application/problem+json'),
      'gatewayresponse.header.Cache-Control': quote('no-store'),
      'gatewayresponse.header.Link': quote(`<${statusUrl}>; rel="related"`),
      ...(retry ? { 'gatewayresponse.header.Retry-After': quote(String(opts.retryAfter)) } : {}),
    },
    responseTemplates: { 'application/json': problem(type, title, status) },
  });
  // Status codes are left at API Gateway's defaults: setting one on DEFAULT_5XX would change every 5xx.
  const responses: Record<string, ReturnType<typeof response>> = {
    DEFAULT_5XX: response('upstream-failure', 'Service unavailable', null, true),
    INTEGRATION_FAILURE: response('upstream-failure', 'Upstream service failed', 504, true),
    INTEGRATION_TIMEOUT: response('upstream-timeout', 'Upstream service timed out', 504, true),
    THROTTLED: response('throttled', 'Too many requests', 429, true),
    QUOTA_EXCEEDED: response('quota-exceeded', 'Quota exceeded', 429, false),
  };
  if (opts.format === 'openapi') return { 'x-amazon-apigateway-gateway-responses': responses };
  const restApiId = opts.restApiId ?? '<rest-api-id>';
  if (opts.format === 'cli') {
    return Object.entries(responses).map(([responseType, r]) => ({ restApiId, responseType, ...r }));
  }
  const logical = (t: string) =>
    `HeraldGatewayResponse${t.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}`;
  return {
    Resources: Object.fromEntries(
      Object.entries(responses).map(([responseType, r]) => [
        logical(responseType),
        {
          Type: 'AWS::ApiGateway::GatewayResponse',
          Properties: {
            RestApiId: opts.restApiId ?? { Ref: 'RestApi' },
            ResponseType: responseType,
            ResponseParameters: r.responseParameters,
            ResponseTemplates: r.responseTemplates,
          },
        },
      ]),
    ),
  };
}

export function exportCommand(): Command {
  const cmd = new Command('export').description(
    'print edge configuration (JSON) that points at the published status and error pages',
  );
  cmd
    .command('cloudfront-error-responses')
    .description("CloudFront origins, cache behaviors and CustomErrorResponses serving Herald's 502/503/504/404 pages")
    .option('--plan <file>', 'plan file (default: HERALD_PLAN)')
    .option('--status-url <url>', "the status page's public URL (default: the plan's page.url)")
    .option('--origin-domain <host>', 'domain CloudFront fetches the pages from (default: the status URL host)')
    .option('--s3-origin', 'fetch the pages from the HERALD_S3_BUCKETS buckets (two regions = an origin group with failover)')
    .option('--min-ttl <seconds>', 'ErrorCachingMinTTL', seconds, 10)
    .option('--maintenance', 'answer 502/503/504 with maintenance.html (503) for a planned window')
    .action((opts: CloudFrontOptions) => {
      const { config, statusUrl } = context(opts);
      console.log(JSON.stringify(cloudFrontErrorResponses(config, statusUrl, opts), null, 2));
    });
  cmd
    .command('apigateway-gateway-responses')
    .description('API Gateway (REST) gateway responses answering RFC 9457 problems that link to the status page')
    .option('--plan <file>', 'plan file (default: HERALD_PLAN)')
    .option('--status-url <url>', "the status page's public URL (default: the plan's page.url)")
    .option(
      '--format <format>',
      'openapi (x-amazon-apigateway-gateway-responses), cloudformation or cli (put-gateway-response inputs)',
      'openapi',
    )
    .option('--retry-after <seconds>', 'Retry-After on 5xx and throttling', seconds, 120)
    .option('--rest-api-id <id>', 'REST API id for the cloudformation and cli formats')
    .action((opts: ApiGatewayOptions) => {
      if (!['openapi', 'cloudformation', 'cli'].includes(opts.format))
        throw new InvalidArgumentError('--format: openapi, cloudformation or cli');
      const { statusUrl } = context(opts);
      console.log(JSON.stringify(apiGatewayResponses(statusUrl, opts), null, 2));
    });
  return cmd;
}
