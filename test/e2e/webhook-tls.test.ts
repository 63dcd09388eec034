import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { brokers } from '../helpers/bridge';
import type { BridgeProcess } from '../helpers/bridge-process';
import { readMetrics, startBridgeOnNewTopics, startBridgeProcess } from '../helpers/bridge-process';
import { APP_ID, TOKEN, callbackUrl, createRoomBody } from '../helpers/tencent';
import { testTempDir } from '../helpers/temp-dir';

interface Pem {
  cert: string;
  key: string;
  fingerprint256: string;
}

/** A fresh self-signed certificate for 127.0.0.1 and localhost, made by openssl here. */
function selfSigned(dir: string, name: string): Pem {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  const certPem = execFileSync('cat', [cert], { encoding: 'utf8' });
  return {
    cert: certPem,
    key: execFileSync('cat', [key], { encoding: 'utf8' }),
    fingerprint256: new X509Certificate(certPem).fingerprint256,
  };
}

/** Replaces a file the way a Secret volume or cert-manager does: write aside, then rename. */
function replace(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/** POSTs over HTTPS trusting only `ca`; resolves with the status and the served certificate. */
function httpsPost(
  bridge: BridgeProcess,
  ca: string,
  path: string,
  body: string,
): Promise<{ status: number; fingerprint256: string; text: string }> {
  const { port } = new URL(bridge.webhook);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca,
        agent: false, // a new connection (and handshake) per request
        headers: { 'content-type': 'application/json' },
        timeout: 5000,
      },
      (response) => {
        const socket = response.socket as TLSSocket;
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, fingerprint256, text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the webhook listener serves HTTPS from certificate files', () => {
  it('answers over TLS, refuses plain HTTP, and serves a replaced certificate without a restart', async () => {
    const dir = testTempDir('webhook-tls-');
    const first = selfSigned(dir, 'first');
    const second = selfSigned(dir, 'second');
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const { bridge } = await startBridgeOnNewTopics('e2e-tls', {
      SERVER_TLS_CERT_FILE: certFile,
      SERVER_TLS_KEY_FILE: keyFile,
      SERVER_TLS_RELOAD_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
    });
    try {
      const body = (room: string) => JSON.stringify(createRoomBody(room));
      const ok = await httpsPost(bridge, first.cert, callbackUrl(), body('tls-1'));
      expect(ok).toMatchObject({ status: 200, fingerprint256: first.fingerprint256 });
      expect(JSON.parse(ok.text)).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
      // the client refuses a certificate it does not trust: TLS is really in the way
      await expect(httpsPost(bridge, second.cert, callbackUrl(), body('tls-x'))).rejects.toThrow(
        /self[- ]signed|unable to verify|certificate/i,
      );
      // plain HTTP on the HTTPS port gets no callback answer
      const plain = await fetch(`${bridge.webhook}${callbackUrl()}`, {
        method: 'POST',
        body: body('tls-plain'),
      }).then(
        async (response) => ({ status: response.status, text: await response.text() }),
        (error: Error) => ({ status: 0, text: error.message }),
      );
      expect(plain.text).not.toContain('ActionStatus');
      const expiry = (await readMetrics(bridge)).get('live_bridge_tls_expiry_timestamp_seconds');
      expect(expiry).toBe(Date.parse(new X509Certificate(first.cert).validTo) / 1000);

      // a certificate written before its key does not match: the first one stays in service
      replace(certFile, second.cert);
      const waitFor = async (what: () => boolean) => {
        const deadline = Date.now() + 10_000;
        while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        return what();
      };
      expect(await waitFor(() => bridge.output().includes('TLS certificate not reloaded'))).toBe(
        true,
      );
      const during = await httpsPost(bridge, first.cert, callbackUrl(), body('tls-2'));
      expect(during).toMatchObject({ status: 200, fingerprint256: first.fingerprint256 });

      // then the key: the pair is served to new connections
      replace(keyFile, second.key);
      expect(await waitFor(() => bridge.output().includes('TLS certificate reloaded'))).toBe(true);
      const renewed = await httpsPost(bridge, second.cert, callbackUrl(), body('tls-3'));
      expect(renewed).toMatchObject({ status: 200, fingerprint256: second.fingerprint256 });
      // the key never reaches the log
      expect(bridge.output()).not.toContain('PRIVATE KEY');
    } finally {
      bridge.signal('SIGTERM');
      expect(await bridge.exited).toBe(0);
    }
  });

  it('refuses to start with a key that does not belong to the certificate', async () => {
    const dir = testTempDir('webhook-tls-');
    const first = selfSigned(dir, 'first');
    const second = selfSigned(dir, 'second');
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    writeFileSync(join(dir, 'tls.key'), second.key);
    const bridge = await startBridgeProcess(
      {
        TENCENT_SDK_APP_ID: APP_ID,
        TENCENT_CALLBACK_TOKEN: TOKEN,
        KAFKA_BROKERS: brokers(),
        SERVER_TLS_CERT_FILE: join(dir, 'tls.crt'),
        SERVER_TLS_KEY_FILE: join(dir, 'tls.key'),
      },
      { waitReady: false },
    );
    expect(await bridge.exited).toBe(1);
    expect(bridge.output()).toContain('cannot serve HTTPS');
    expect(bridge.output()).toContain('SERVER_TLS_INVALID');
    expect(bridge.output()).not.toContain('PRIVATE KEY');
  });
});
