import type { AddressInfo } from 'node:net';
import { cipherSuiteName, namedGroupName, signatureSchemeName } from '../registry.js';
import { connect } from '../node/connect.js';
import { createServer } from '../node/server.js';
import { UsageError, parseArgs } from './args.js';
import { makeDemoPki } from './demo-pki.js';
import { EXPLAIN_FLAGS, ExplainSession, explainTarget } from './explain-output.js';
import { formatTraceEvent } from './trace.js';

const MESSAGE = 'hello from the wiretls demo';

export const DEMO_USAGE = `usage: wiretls demo
       a throw-away CA, a server and a client on 127.0.0.1, the handshake traced; no options`;

/**
 * `wiretls demo`: everything offline on 127.0.0.1 — a throw-away CA, a wiretls server, and a
 * wiretls client whose handshake is printed step by step, then one message echoed back.
 */
export async function demoCommand(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Promise<number> {
  const args = parseArgs(argv, EXPLAIN_FLAGS);
  if (args.positional.length > 0) throw new UsageError('demo takes no arguments but --explain FILE.html');
  const explainTo = explainTarget(args);
  const explained = explainTo ? new ExplainSession('client', 'wiretls demo: a client and a server on 127.0.0.1') : undefined;
  const pki = makeDemoPki();
  out.write('wiretls demo: made a throw-away CA (ECDSA P-256) and a certificate for localhost\n');
  const server = createServer({ cert: pki.certPem, key: pki.keyPem }, (socket) => {
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  out.write(`server listening on 127.0.0.1:${port}; the client connects:\n\n`);

  try {
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: pki.caPem,
        onTrace: (event) => {
          explained?.recorder.trace(event);
          const line = formatTraceEvent(event, 'client');
          if (line !== undefined) out.write(`${line}\n`);
        },
        ...(explained ? { onKeyDerivation: explained.recorder.derivation } : {}),
      });
      let received = '';
      socket.on('secureConnect', () => {
        const info = socket.getSessionInfo()!;
        out.write(
          `\nhandshake complete: TLSv1.3, ${cipherSuiteName(info.cipherSuite)}, ${info.group === undefined ? 'no group' : namedGroupName(info.group)}, ` +
            `server signed with ${info.signatureScheme === undefined ? 'nothing' : signatureSchemeName(info.signatureScheme)}, certificate ${socket.authorized ? 'verified' : 'NOT verified'}\n`,
        );
        out.write(`client → server: ${JSON.stringify(MESSAGE)}\n`);
        socket.write(MESSAGE);
      });
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        if (received.length >= MESSAGE.length) socket.end();
      });
      socket.on('error', reject);
      socket.on('close', () => {
        if (explained) explained.write(explainTo!, socket.getSessionInfo(), { stdout: out, stderr: err });
        resolve(received);
      });
    });
    out.write(`server → client: ${JSON.stringify(echoed)}\nclosed with close_notify both ways\n`);
    return echoed === MESSAGE ? 0 : 3;
  } finally {
    server.close();
  }
}
