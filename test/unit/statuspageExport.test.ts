import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { apiGatewayResponses, cloudFrontErrorResponses } from '../../cli/commands/export';
import { loadConfig } from '../../core/config';

// `herald export …` prints configuration that CloudFront and API Gateway accept, pointing at the pages
// the snapshot publishes.

const ROOT = join(__dirname, '..', '..');
const herald = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'cli', 'bin.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, any>;
};

describe('herald export', () => {
  test('cloudfront-error-responses points 502/503/504/404 at the published pages on their own origin', () => {
    const out = herald([
      'export',
      'cloudfront-error-responses',
      '--status-url',
      'https://status.acme.example',
      '--min-ttl',
      '15',
    ]);
    assert.equal(out.Origins.Items[0].DomainName, 'status.acme.example');
    assert.equal(out.Origins.Items[0].CustomOriginConfig.OriginProtocolPolicy, 'https-only');
    const items = out.CustomErrorResponses.Items as {
      ErrorCode: number;
      ResponsePagePath: string;
      ResponseCode: string;
      ErrorCachingMinTTL: number;
    }[];
    assert.equal(out.CustomErrorResponses.Quantity, items.length);
    assert.deepEqual(
      items.map((i) => [i.ErrorCode, i.ResponsePagePath, i.ResponseCode, i.ErrorCachingMinTTL]),
      [
        [502, '/502.html', '502', 15],
        [503, '/503.html', '503', 15],
        [504, '/504.html', '504', 15],
        [404, '/404.html', '404', 15],
      ],
    );
    // Every error page path is covered by a cache behavior on the status origin (CloudFront path patterns: * and ?).
    const patterns = (out.CacheBehaviors.Items as { PathPattern: string; TargetOriginId: string }[]).map(
      (b) => new RegExp(`^${b.PathPattern.replace(/[.]/g, '\\.').replace(/\?/g, '.').replace(/\*/g, '.*')}$`),
    );
    for (const i of [...items, { ResponsePagePath: '/maintenance.html' }])
      assert.ok(
        patterns.some((p) => p.test(i.ResponsePagePath)),
        i.ResponsePagePath,
      );
    assert.equal(out.CacheBehaviors.Quantity, out.CacheBehaviors.Items.length);
  });

  test('with two regional buckets the pages come from an origin group that fails over; --maintenance answers 503 with maintenance.html', () => {
    const config = loadConfig({
      HERALD_S3_BUCKETS: 'us-east-1:acme-status-use1,us-west-2:acme-status-usw2',
      HERALD_S3_PREFIX: 'status',
    });
    const out = cloudFrontErrorResponses(config, 'https://status.acme.example', {
      s3Origin: true,
      maintenance: true,
      minTtl: 10,
    }) as Record<string, any>;
    assert.deepEqual(
      out.Origins.Items.map((o: { DomainName: string; OriginPath: string }) => [o.DomainName, o.OriginPath]),
      [
        ['acme-status-use1.s3.us-east-1.amazonaws.com', '/status'],
        ['acme-status-usw2.s3.us-west-2.amazonaws.com', '/status'],
      ],
    );
    assert.deepEqual(out.OriginGroups.Items[0].FailoverCriteria.StatusCodes.Items, [500, 502, 503, 504]);
    assert.ok(
      out.CacheBehaviors.Items.every((b: { TargetOriginId: string }) => b.TargetOriginId === out.OriginGroups.Items[0].Id),
    );
    const fivexx = out.CustomErrorResponses.Items.filter((i: { ErrorCode: number }) => i.ErrorCode >= 500);
    assert.ok(
      fivexx.every(
        (i: { ResponsePagePath: string; ResponseCode: string }) =>
          i.ResponsePagePath === '/maintenance.html' && i.ResponseCode === '503',
      ),
    );
  });

  test('apigateway-gateway-responses answer problem+json whose templates are valid JSON once API Gateway fills the variables', () => {
    const out = herald([
      'export',
      'apigateway-gateway-responses',
      '--status-url',
      'https://status.acme.example',
      '--retry-after',
      '90',
    ]);
    const responses = out['x-amazon-apigateway-gateway-responses'] as Record<
      string,
      { responseParameters: Record<string, string>; responseTemplates: Record<string, string> }
    >;
    assert.deepEqual(Object.keys(responses).sort(), [
      'DEFAULT_5XX',
      'INTEGRATION_FAILURE',
      'INTEGRATION_TIMEOUT',
      'QUOTA_EXCEEDED',
      'THROTTLED',
    ]);
    for (const [type, r] of Object.entries(responses)) {
      assert.equal(r.responseParameters['gatewayresponse.header.Content-Type'], "'application/problem+json'", type);
      for (const value of Object.values(r.responseParameters))
        assert.match(value, /^'[^']*'$/, `${type}: static header values are single-quoted`);
      // API Gateway substitutes variables only; $context.error.messageString arrives already JSON-quoted.
      const body = r.responseTemplates['application/json']!.replace(
        '$context.error.messageString',
        JSON.stringify('Endpoint request timed out'),
      ).replace('$context.requestId', 'abc-123');
      const problem = JSON.parse(body) as {
        type: string;
        title: string;
        status?: number;
        detail: string;
        instance: string;
        status_page: string;
      };
      assert.match(problem.type, /^https:\/\/status\.acme\.example\/problems\//);
      assert.equal(problem.status_page, 'https://status.acme.example');
      assert.equal(problem.instance, 'urn:request:abc-123');
      if (type === 'DEFAULT_5XX') assert.equal(problem.status, undefined, 'no status on DEFAULT_5XX: it covers several codes');
    }
    assert.equal(responses.INTEGRATION_TIMEOUT!.responseParameters['gatewayresponse.header.Retry-After'], "'90'");
    const cfn = apiGatewayResponses('https://status.acme.example', {
      format: 'cloudformation',
      retryAfter: 120,
      restApiId: 'a1b2c3',
    }) as Record<string, any>;
    const resources = Object.values(cfn.Resources) as { Type: string; Properties: { RestApiId: string; ResponseType: string } }[];
    assert.equal(resources.length, 5);
    assert.ok(resources.every((r) => r.Type === 'AWS::ApiGateway::GatewayResponse' && r.Properties.RestApiId === 'a1b2c3'));
    const cli = apiGatewayResponses('https://status.acme.example', { format: 'cli', retryAfter: 120 }) as {
      responseType: string;
      restApiId: string;
    }[];
    assert.equal(cli.length, 5);
  });
});
