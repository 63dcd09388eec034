import type { Stats } from 'node:fs';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';

/** The webhook listener's certificate and key files (config `server.tls`). */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  reloadIntervalMs: number;
}

/** A certificate chain and its key, read and checked to belong together. */
export interface ServerCertificate {
  cert: Buffer;
  key: Buffer;
  /** The leaf certificate's notAfter, ms since the epoch. */
  notAfterMs: number;
  fingerprint256: string;
}

/** The files cannot be read, are not PEM, or the key does not belong to the certificate. */
export class ServerTlsError extends Error {
  override readonly name = 'ServerTlsError';
  readonly code = 'SERVER_TLS_INVALID';
}

/**
 * Reads the certificate chain and key and checks that they make a usable TLS context (the key
 * matches the leaf certificate), so a bad pair is refused before it is served.
 * @throws ServerTlsError naming the file or the mismatch (never the key's content).
 */
export function readServerCertificate(files: Pick<ServerTlsFiles, 'certFile' | 'keyFile'>) {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ServerTlsError(`server.tls.${what} ${path}: ${(error as Error).message}`);
    }
  };
  const cert = read(files.certFile, 'certFile');
  const key = read(files.keyFile, 'keyFile');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
    createSecureContext({ cert, key });
  } catch (error) {
    // OpenSSL's reason (e.g. "key values mismatch"), without any key material
    throw new ServerTlsError(
      `server.tls: ${files.certFile} and ${files.keyFile} are not a usable certificate and key: ${(error as Error).message}`,
    );
  }
  const certificate: ServerCertificate = {
    cert,
    key,
    notAfterMs: Date.parse(leaf.validTo),
    fingerprint256: leaf.fingerprint256,
  };
  return certificate;
}

/** What the watcher needs of an `https.Server` / `tls.Server`. */
export interface SecureContextTarget {
  setSecureContext(options: { cert: Buffer; key: Buffer }): void;
}

/**
 * Serves a renewed certificate without a restart (cert-manager and Kubernetes Secret volumes
 * replace the files in place): both files are polled every `reloadIntervalMs` (`fs.watchFile`
 * follows the symlinks a Secret volume swaps), and a changed pair that reads and matches becomes
 * the context of new connections. A pair that does not (e.g. the certificate written before its
 * key) is logged and the current one kept; the next change is tried again.
 */
export function watchServerCertificate(options: {
  files: ServerTlsFiles;
  server: SecureContextTarget;
  logger: Pick<Logger, 'info' | 'error'>;
  onLoaded?: (certificate: ServerCertificate) => void;
}): { stop(): void } {
  const { files, server, logger } = options;
  const changed = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino) return;
    try {
      const certificate = readServerCertificate(files);
      server.setSecureContext({ cert: certificate.cert, key: certificate.key });
      options.onLoaded?.(certificate);
      logger.info(
        {
          fingerprint256: certificate.fingerprint256,
          notAfter: new Date(certificate.notAfterMs).toISOString(),
        },
        'webhook TLS certificate reloaded',
      );
    } catch (error) {
      logger.error(
        { err: error },
        'webhook TLS certificate not reloaded: still serving the previous one',
      );
    }
  };
  const watchOptions = { interval: files.reloadIntervalMs, persistent: false };
  watchFile(files.certFile, watchOptions, changed);
  watchFile(files.keyFile, watchOptions, changed);
  return {
    stop() {
      unwatchFile(files.certFile, changed);
      unwatchFile(files.keyFile, changed);
    },
  };
}
