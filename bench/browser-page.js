/**
 * The page of the Chromium benchmark (bench/suites/browser.ts): wiretls and subtls loaded in
 * the same page, each making whole connections through the same `wiretls relay` to the same
 * `openssl s_server -www`: WebSocket open, TLS handshake with the chain checked against the
 * test root, one GET, the whole answer read. Both use WebCrypto for P-256 and AES-128-GCM (the
 * only parameters subtls has). Bundled by esbuild; plain JavaScript, not type-checked.
 */
import { CipherSuite, NamedGroup, TrustStore, X509Verifier, connectStreams, webSocketStreams, webcryptoProvider } from 'wiretls';
import { TrustedCert, WebSocketReadQueue, startTls } from 'subtls';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REQUEST = encoder.encode('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');

let setup;

/** What each library keeps between connections, as an application would: made once. */
async function prepare(rootPem) {
  return {
    wiretls: {
      provider: webcryptoProvider(),
      serverName: 'localhost',
      groups: [NamedGroup.secp256r1],
      cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
      verifier: new X509Verifier({ trustStore: TrustStore.fromPem(rootPem, 'test root') }),
    },
    subtls: await TrustedCert.databaseFromPEM(rootPem),
  };
}

/**
 * Where a connection's time goes, marked the same way for both libraries: when the WebSocket
 * opened, when the handshake completed, when the request was handed over, when the first byte
 * of the answer came; and how many WebSocket messages the client sent.
 */
class Marks {
  constructor() {
    this.start = performance.now();
    this.sends = 0;
  }
  mark(name) {
    this[name] = performance.now() - this.start;
  }
}

/** A WebSocket through the relay whose sends are counted in `marks`. */
function open(url, marks) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const send = ws.send;
  ws.send = (data) => {
    marks.sends++;
    send.call(ws, data);
  };
  ws.addEventListener('open', () => marks.mark('open'));
  return ws;
}

async function wiretlsOnce(url, marks) {
  const ws = open(url, marks);
  const tls = connectStreams(webSocketStreams(ws), setup.wiretls);
  await tls.handshake;
  marks.mark('handshake');
  const writer = tls.writable.getWriter();
  await writer.write(REQUEST);
  marks.mark('request');
  let answer = '';
  for await (const chunk of tls.readable) {
    if (marks.answer === undefined) marks.mark('answer');
    answer += decoder.decode(chunk, { stream: true });
  }
  tls.close();
  ws.close();
  return answer;
}

async function subtlsOnce(url, marks) {
  const ws = open(url, marks);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve);
    ws.addEventListener('error', () => reject(new Error('WebSocket failed')));
  });
  const queue = new WebSocketReadQueue(ws);
  const { read, write } = await startTls('localhost', setup.subtls, queue.read.bind(queue), (bytes) => ws.send(bytes));
  marks.mark('handshake');
  await write(REQUEST);
  marks.mark('request');
  let answer = '';
  for (;;) {
    const chunk = await read();
    if (chunk === undefined) break;
    if (marks.answer === undefined) marks.mark('answer');
    answer += decoder.decode(chunk, { stream: true });
  }
  ws.close();
  return answer;
}

/**
 * A WebSocket through the relay (and the relay's TCP connection to s_server), opened and
 * closed with no TLS byte: what a fresh page does first so that neither library's first
 * connection pays for the renderer's first WebSocket. Returns what the check below expects.
 */
async function websocketOnce(url, marks) {
  const ws = open(url, marks);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve);
    ws.addEventListener('error', () => reject(new Error('WebSocket failed')));
  });
  ws.close();
  return 'HTTP/1.0 200 ok (no TLS) Cipher is TLS_AES_128_GCM_SHA256';
}

const IMPLEMENTATIONS = { wiretls: wiretlsOnce, subtls: subtlsOnce, websocket: websocketOnce };

/**
 * `count` connections one after the other with `impl`; returns the milliseconds of each and
 * its marks. Every answer must be s_server's status page for the expected suite: a connection
 * that did not do the work is not timed as if it had.
 */
window.benchConnections = async function benchConnections(impl, url, rootPem, count) {
  setup ??= await prepare(rootPem);
  const once = IMPLEMENTATIONS[impl];
  const results = [];
  for (let i = 0; i < count; i++) {
    const marks = new Marks();
    const answer = await once(url, marks);
    const ms = performance.now() - marks.start;
    if (!answer.startsWith('HTTP/1.0 200 ok') || !answer.includes('Cipher is TLS_AES_128_GCM_SHA256')) throw new Error(`${impl}: unexpected answer ${answer.slice(0, 200)}`);
    results.push({ ms, open: marks.open, handshake: marks.handshake, request: marks.request, answer: marks.answer, sends: marks.sends });
  }
  return results;
};
window.benchReady = true;
