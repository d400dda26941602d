// A hostile OpenID Connect issuer on 127.0.0.1: a plain node:http server whose discovery and
// JWKS endpoints each misbehave in a mode chosen per endpoint. Used by the hostile-issuer
// scenarios; it signs its tokens with node:crypto (stress/lib/jwt.js), not with the library.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { claimsFor, makeRsaKey, signRs256 } from './lib/jwt.js';

const DRIP_MS = 50;
const MIB = 1024 * 1024;

/** Modes either endpoint can be put in. */
export const TRANSPORT_MODES = [
  'hang', // accept, read the request, never answer
  'drip', // status and headers at once, then one body byte every 50 ms forever
  'drip-head', // the status line and headers themselves one byte every 50 ms, forever
  'reset', // destroy the socket as soon as the request arrives
  'reset-mid-body', // headers and half the body, then destroy the socket
  'redirect', // 302 to /elsewhere/<endpoint>, which serves the genuine document
  'redirect-external', // 302 to http://example.com/... (never reachable here)
  'huge-length', // valid JSON padded past 1 MiB, with content-length
  'huge-chunked', // the same without content-length (chunked)
  'endless', // chunked whitespace forever, as fast as the client reads
  'malformed', // truncated JSON
  'html', // 200 text/html
  'wrong-json', // valid JSON of the wrong shape
  'error-500', // 500 with a long text body
];
/** Modes only the discovery document can be put in. */
export const DISCOVERY_MODES = [
  'file-uri', // jwks_uri: file:///etc/passwd
  'http-off-loopback', // jwks_uri: http://example.com/jwks
  'long-issuer', // `issuer` is 5,000 characters with control characters: the error must be cut
];
/** Modes only the JWKS can be put in. */
export const JWKS_MODES = [
  'many-keys', // 1,000 keys (the real one among them)
  'private-keys', // the real key published with its private members (`d`, `p`, `q`, ...)
  'weak-keys', // only an RSA 1024 key, and tokens signed with it
];

/** The signing keys: one good RSA 2048 key, one weak RSA 1024 key. Shared by servers. */
export function makeHostileKeys() {
  return { goodKey: makeRsaKey({ kid: 'good' }), weakKey: makeRsaKey({ bits: 1024, kid: 'weak' }) };
}

/**
 * Starts the hostile issuer. `audience` is the `aud` of the tokens it signs; `keys` from
 * makeHostileKeys() (made anew when not given).
 */
export async function createHostileIssuer({ audience = 'stress-api', keys = makeHostileKeys() } = {}) {
  const { goodKey, weakKey } = keys;
  const modes = { discovery: 'ok', jwks: 'ok' };
  const requests = { discovery: 0, jwks: 0, elsewhere: 0, other: 0 };
  const bytesSent = { discovery: 0, jwks: 0 };
  const sockets = new Set();
  /** Sockets held open by a hostile answer (hang, drip, endless) until the client gives up. */
  const held = new Set();
  const timers = new Set();
  let url = '';

  const discoveryDocument = () => ({
    issuer: url,
    jwks_uri: `${url}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
  const genuine = (endpoint) => (endpoint === 'discovery' ? discoveryDocument() : { keys: [goodKey.publicJwk] });

  /** The body of a mode that answers with a complete document. */
  const documentFor = (endpoint, mode) => {
    switch (mode) {
      case 'file-uri':
        return { ...discoveryDocument(), jwks_uri: 'file:///etc/passwd' };
      case 'http-off-loopback':
        return { ...discoveryDocument(), jwks_uri: 'http://example.com/jwks' };
      case 'long-issuer':
        return { ...discoveryDocument(), issuer: `${url}/\r\n\u0000\u001b[31m${'x'.repeat(5000)}` };
      case 'many-keys':
        return {
          keys: [
            ...Array.from({ length: 999 }, (_, index) => ({ ...goodKey.publicJwk, kid: `filler-${index}` })),
            goodKey.publicJwk,
          ],
        };
      case 'private-keys':
        return { keys: [goodKey.privateJwk] };
      case 'weak-keys':
        return { keys: [weakKey.publicJwk] };
      default:
        return genuine(endpoint);
    }
  };

  const track = (timer) => {
    timers.add(timer);
    return timer;
  };
  const untrack = (timer) => {
    clearTimeout(timer);
    clearInterval(timer);
    timers.delete(timer);
  };

  const answer = (request, response, endpoint, mode) => {
    const socket = request.socket;
    if (['hang', 'drip', 'drip-head', 'endless'].includes(mode)) {
      held.add(socket);
      socket.once('close', () => held.delete(socket));
    }
    const sent = (bytes) => {
      bytesSent[endpoint] += bytes;
    };
    switch (mode) {
      case 'hang':
        return;
      case 'drip': {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.flushHeaders();
        let first = true;
        const timer = track(
          setInterval(() => {
            if (response.destroyed || socket.destroyed) return untrack(timer);
            response.write(first ? '{' : ' ');
            first = false;
            sent(1);
          }, DRIP_MS),
        );
        socket.once('close', () => untrack(timer));
        return;
      }
      case 'drip-head': {
        const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-drip: ';
        let index = 0;
        const timer = track(
          setInterval(() => {
            if (socket.destroyed) return untrack(timer);
            socket.write(index < head.length ? head[index] : 'a');
            index += 1;
            sent(1);
          }, DRIP_MS),
        );
        socket.once('close', () => untrack(timer));
        return;
      }
      case 'reset':
        socket.destroy();
        return;
      case 'reset-mid-body': {
        const text = JSON.stringify(genuine(endpoint));
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
        response.write(text.slice(0, text.length >> 1), () => socket.destroy());
        sent(text.length >> 1);
        return;
      }
      case 'redirect':
        response.writeHead(302, { location: `${url}/elsewhere/${endpoint}` }).end();
        return;
      case 'redirect-external':
        response.writeHead(302, { location: `http://example.com/${endpoint}` }).end();
        return;
      case 'huge-length':
      case 'huge-chunked': {
        const text = ' '.repeat(Math.round(1.5 * MIB)) + JSON.stringify(genuine(endpoint));
        const headers = { 'content-type': 'application/json' };
        if (mode === 'huge-length') headers['content-length'] = String(Buffer.byteLength(text));
        response.writeHead(200, headers);
        // Chunked: written in 64 KiB pieces so no content-length is implied.
        for (let start = 0; start < text.length; start += 65536) response.write(text.slice(start, start + 65536));
        response.end();
        sent(text.length);
        return;
      }
      case 'endless': {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(65536, 0x20);
        const pump = () => {
          while (!response.destroyed && !socket.destroyed) {
            sent(chunk.length);
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
        };
        pump();
        return;
      }
      case 'malformed': {
        const text = JSON.stringify(genuine(endpoint));
        response.writeHead(200, { 'content-type': 'application/json' }).end(text.slice(0, -7));
        sent(text.length - 7);
        return;
      }
      case 'html': {
        const text = '<!doctype html><html><body><h1>Welcome to the IdP</h1></body></html>';
        response.writeHead(200, { 'content-type': 'text/html' }).end(text);
        sent(text.length);
        return;
      }
      case 'wrong-json': {
        const text = JSON.stringify(endpoint === 'discovery' ? { issuer: 42, jwks_uri: ['x'] } : { keys: 'all of them' });
        response.writeHead(200, { 'content-type': 'application/json' }).end(text);
        sent(text.length);
        return;
      }
      case 'error-500': {
        const text = `internal error\n${'stack '.repeat(2000)}`;
        response.writeHead(500, { 'content-type': 'text/plain' }).end(text);
        sent(text.length);
        return;
      }
      default: {
        const text = JSON.stringify(documentFor(endpoint, mode));
        response.writeHead(200, { 'content-type': 'application/json' }).end(text);
        sent(text.length);
      }
    }
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === '/.well-known/openid-configuration' || path === '/jwks') {
      const endpoint = path === '/jwks' ? 'jwks' : 'discovery';
      requests[endpoint] += 1;
      answer(request, response, endpoint, modes[endpoint]);
    } else if (path === '/elsewhere/discovery' || path === '/elsewhere/jwks') {
      requests.elsewhere += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(genuine(path.endsWith('jwks') ? 'jwks' : 'discovery')));
    } else {
      requests.other += 1;
      response.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A client that gives up mid-answer resets the connection: expected here.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  url = `http://127.0.0.1:${server.address().port}`;

  return {
    url,
    audience,
    requests,
    bytesSent,
    goodKey,
    weakKey,
    get openSockets() {
      return sockets.size;
    },
    /** Connections a hostile answer still holds (the client has not given up on them). */
    get heldSockets() {
      return held.size;
    },
    /** Resolves true once every held connection is closed, false after `ms`. */
    async heldClosedWithin(ms) {
      const deadline = Date.now() + ms;
      for (const socket of [...held]) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return held.size === 0;
    },
    /** Puts the endpoints in the given modes (missing ones go back to 'ok'). */
    setModes({ discovery = 'ok', jwks = 'ok' } = {}) {
      modes.discovery = discovery;
      modes.jwks = jwks;
    },
    /** A validly signed token with the key the current JWKS mode publishes. */
    token(extra = {}) {
      const key = modes.jwks === 'weak-keys' ? weakKey : goodKey;
      return signRs256(key, claimsFor(url, audience, { jti: randomBytes(8).toString('hex'), ...extra }));
    },
    resetCounters() {
      for (const name of Object.keys(requests)) requests[name] = 0;
      for (const name of Object.keys(bytesSent)) bytesSent[name] = 0;
    },
    /** Destroys every open connection (hung answers included) and stops every drip. */
    dropConnections() {
      for (const timer of timers) untrack(timer);
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const timer of timers) untrack(timer);
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
