import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createSnsVerifier, isSnsUrl, snsStringToSign, type SnsEnvelope } from '../../api/routes/webhooks/snsSignature';
import { CERT_URL, makeSnsTestKeys, signSns, type SnsTestKeys } from './sns.keys';

// SNS signatures with a real key pair and certificate (sns.keys.ts) through the injectable fetch.

describe('SNS signature verification', () => {
  let keys: SnsTestKeys;
  const fetched: string[] = [];
  const fetchCert = async (url: string) => {
    fetched.push(url);
    if (url !== CERT_URL) throw new Error('404');
    return keys.certPem;
  };
  const notification = (extra: Partial<SnsEnvelope> = {}) => ({
    Type: 'Notification' as const,
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:herald-alarms',
    Subject: 'ALARM: "payments-5xx" in US East (N. Virginia)',
    Message: '{"AlarmName":"payments-5xx","NewStateValue":"ALARM"}',
    Timestamp: '2026-11-28T12:00:00.000Z',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
    ...extra,
  });

  before(() => {
    keys = makeSnsTestKeys();
  });

  test('SignatureVersion 1 (SHA1) and 2 (SHA256) verify; the certificate is fetched once and cached', async () => {
    const v = createSnsVerifier(fetchCert);
    fetched.length = 0;
    await v.verify(signSns(notification(), keys.keyPem, '1'));
    await v.verify(signSns(notification(), keys.keyPem, '2'));
    await v.verify(signSns(notification({ Subject: undefined }), keys.keyPem, '2'));
    const confirmation = signSns(
      {
        Type: 'SubscriptionConfirmation',
        MessageId: 'm-1',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:herald-alarms',
        Message: 'You have chosen to subscribe…',
        Timestamp: '2026-11-28T12:00:00.000Z',
        Token: 'tok',
        SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=tok',
      },
      keys.keyPem,
    );
    await v.verify(confirmation);
    await v.verify(signSns({ ...confirmation, Type: 'UnsubscribeConfirmation' }, keys.keyPem, '1'));
    assert.deepEqual(fetched, [CERT_URL]);
  });

  test('forged messages are refused: changed text, a signature from another key, a swapped version', async () => {
    const v = createSnsVerifier(fetchCert);
    const good = signSns(notification(), keys.keyPem);
    await assert.rejects(v.verify({ ...good, Message: good.Message.replace('ALARM', 'OK') }), /does not verify/);
    await assert.rejects(v.verify({ ...good, Subject: undefined }), /does not verify/);
    await assert.rejects(v.verify(signSns(notification(), keys.otherKeyPem)), /does not verify/);
    await assert.rejects(v.verify({ ...good, SignatureVersion: '1' }), /does not verify/);
    await assert.rejects(v.verify({ ...good, SignatureVersion: '3' }), /unsupported SignatureVersion/);
    await assert.rejects(v.verify({ ...good, Signature: 'not base64 at all!!' }), /does not verify/);
  });

  test('certificate URLs off SNS hosts, over http or not .pem are refused before any fetch', async () => {
    const v = createSnsVerifier(fetchCert);
    fetched.length = 0;
    for (const url of [
      'https://evil.example.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem',
      'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem',
      'https://sns.us-east-1.amazonaws.com@evil.example/cert.pem',
      'https://user@sns.us-east-1.amazonaws.com/cert.pem',
      'http://sns.us-east-1.amazonaws.com/cert.pem',
      'https://sns.us-east-1.amazonaws.com:8443/cert.pem',
      'https://sns.us-east-1.amazonaws.com/cert.txt',
      'https://s3.amazonaws.com/cert.pem',
      'not a url',
    ]) {
      await assert.rejects(v.verify(signSns(notification({ SigningCertURL: url }), keys.keyPem)), /SigningCertURL/, url);
    }
    assert.deepEqual(fetched, []);
    assert.ok(isSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/x.pem', { pem: true }));
  });

  test('a certificate outside its validity period is refused, and a failed fetch is retried next time', async () => {
    const late = createSnsVerifier(fetchCert, { now: () => Date.now() + 10 * 86_400_000 });
    await assert.rejects(late.verify(signSns(notification(), keys.keyPem)), /not valid now/);
    let fail = true;
    const flaky = createSnsVerifier(async (url) => {
      if (fail) throw new Error('connection reset');
      return fetchCert(url);
    });
    await assert.rejects(flaky.verify(signSns(notification(), keys.keyPem)), /could not be fetched/);
    fail = false;
    await flaky.verify(signSns(notification(), keys.keyPem));
  });

  test('the string to sign follows AWS order and leaves values unescaped', () => {
    const s = snsStringToSign({
      ...notification({ Message: 'line1\n"quoted" & <b>' }),
      Signature: '',
      SignatureVersion: '2',
      SigningCertURL: CERT_URL,
    });
    assert.equal(
      s,
      'Message\nline1\n"quoted" & <b>\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nALARM: "payments-5xx" in US East (N. Virginia)\nTimestamp\n2026-11-28T12:00:00.000Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:herald-alarms\nType\nNotification\n',
    );
  });
});
