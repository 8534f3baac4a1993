/**
 * The config file of the proxy: every directive, the shipped config/proxy.conf, and each mistake with its
 * "file:line: what is wrong" message; then which host block a Host header finds.
 * Tests for `daemon/proxyconf.ts` (the config reading of WeApRous `daemon/proxy.py`).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { findVirtualHost, parseProxyConfig, type VirtualHost } from '../../daemon/proxyconf';

function hostsOf(text: string): VirtualHost[] {
  const result = parseProxyConfig(text, 'proxy.conf');
  if (result.kind === 'error') throw new Error(result.message);
  return result.hosts;
}

function errorOf(text: string): string {
  const result = parseProxyConfig(text, 'config/proxy.conf');
  if (result.kind !== 'error') throw new Error('expected a syntax error');
  return result.message;
}

const ASSIGNMENT = [
  '# the example of the assignment',
  'host "192.168.56.103:8080" {',
  '    proxy_pass http://192.168.56.103:9000;',
  '    proxy_pass http://192.168.56.103:9001;',
  '    proxy_set_header Host $host;',
  '    dist_policy round-robin;',
  '}',
  '',
].join('\n');

describe('parseProxyConfig()', () => {
  it('reads the assignment example: two backends, a header to set, the policy', () => {
    const [host] = hostsOf(ASSIGNMENT);
    expect(host.name).to.equal('192.168.56.103:8080');
    expect(host.line).to.equal(2);
    expect(host.backends).to.deep.equal([
      { host: '192.168.56.103', port: 9000, key: '192.168.56.103:9000' },
      { host: '192.168.56.103', port: 9001, key: '192.168.56.103:9001' },
    ]);
    expect(host.setHeaders).to.deep.equal([{ name: 'Host', value: '$host' }]);
    expect(host.policy).to.equal('round-robin');
  });

  it('reads the shipped config/proxy.conf: 127.0.0.1:8080 and localhost:8080 go to the sample app on 9000', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'config', 'proxy.conf'), 'utf8');
    const hosts = hostsOf(text);
    const byName = new Map(hosts.map((h) => [h.name, h]));
    expect(byName.get('127.0.0.1:8080')?.backends.map((b) => b.key)).to.deep.equal(['127.0.0.1:9000']);
    expect(byName.get('localhost:8080')?.backends.map((b) => b.key)).to.deep.equal(['127.0.0.1:9000']);
  });

  it('reads several blocks, comments anywhere, quoted values, and all three policies', () => {
    const hosts = hostsOf(
      [
        'host "a:8080" { proxy_pass http://127.0.0.1:1; dist_policy least-conn; } # trailing comment',
        'host "B.example" {',
        '  # a comment line inside a block',
        '  proxy_pass http://localhost:2/;   proxy_pass http://[::1]:3;',
        '  proxy_set_header X-Client "ip $remote_addr";',
        '  dist_policy random;',
        '}',
      ].join('\n'),
    );
    expect(hosts.map((h) => [h.name, h.policy, h.line])).to.deep.equal([
      ['a:8080', 'least-conn', 1],
      ['b.example', 'random', 2],
    ]);
    expect(hosts[1].backends).to.deep.equal([
      { host: 'localhost', port: 2, key: 'localhost:2' },
      { host: '::1', port: 3, key: '[::1]:3' },
    ]);
    expect(hosts[1].setHeaders).to.deep.equal([{ name: 'X-Client', value: 'ip $remote_addr' }]);
  });

  it('defaults to round-robin and port 80', () => {
    const [host] = hostsOf('host "x" { proxy_pass http://10.0.0.1; }');
    expect(host.policy).to.equal('round-robin');
    expect(host.backends[0].port).to.equal(80);
  });

  it('reads https:// backends (port 443 by default) and the CA file they are checked against', () => {
    const [host] = hostsOf(
      'host "x" { proxy_pass https://10.0.0.1; proxy_pass https://localhost:9443; proxy_ssl_trusted_certificate "cert/ca.pem"; }',
    );
    expect(host.backends).to.deep.equal([
      { host: '10.0.0.1', port: 443, key: 'https://10.0.0.1:443', secure: true },
      { host: 'localhost', port: 9443, key: 'https://localhost:9443', secure: true },
    ]);
    expect(host.trustedCertificate).to.equal('cert/ca.pem');
  });

  it('reads max_fails and fail_timeout (nginx times: 10s, 500ms, 1m, bare seconds); defaults 1 and 10 s', () => {
    expect(hostsOf('host "x" { proxy_pass http://10.0.0.1; }')[0]).to.include({ maxFails: 1, failTimeoutMs: 10_000 });
    const times = ['500ms', '3s', '2m', '7'].map(
      (t) => hostsOf(`host "x" { proxy_pass http://10.0.0.1; fail_timeout ${t}; }`)[0].failTimeoutMs,
    );
    expect(times).to.deep.equal([500, 3_000, 120_000, 7_000]);
    expect(hostsOf('host "x" { proxy_pass http://10.0.0.1; max_fails 0; }')[0].maxFails).to.equal(0);
  });

  const cases: Array<[string, string, string]> = [
    [
      'a proxy_pass without its semicolon',
      'host "a:8080" {\n  proxy_pass http://127.0.0.1:9000\n  proxy_pass http://127.0.0.1:9001;\n}',
      "config/proxy.conf:2: expected ';' after proxy_pass URL",
    ],
    [
      'an unknown policy',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  dist_policy fastest;\n}',
      "config/proxy.conf:3: unknown dist_policy 'fastest'; use round-robin, least-conn, random",
    ],
    [
      'an unknown directive',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  listen 80;\n}',
      "config/proxy.conf:3: unknown directive 'listen'; use proxy_pass, proxy_set_header, dist_policy, max_fails, fail_timeout, proxy_ssl_trusted_certificate",
    ],
    [
      'a host name without quotes',
      '\nhost a:8080 {\n  proxy_pass http://127.0.0.1:9000;\n}',
      'config/proxy.conf:2: expected a quoted host name after \'host\', like "127.0.0.1:8080"',
    ],
    ['a missing opening brace', 'host "a"\n  proxy_pass http://127.0.0.1:9000;\n}', 'config/proxy.conf:1: expected \'{\' after host "a"'],
    [
      'a missing closing brace',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n',
      'config/proxy.conf:3: missing \'}\' for host "a" opened on line 1',
    ],
    [
      'a string that is never closed',
      'host "a {\n  proxy_pass http://127.0.0.1:9000;\n}',
      "config/proxy.conf:1: missing closing '\"' on this line",
    ],
    ['a block without backends', '# nothing\nhost "a" {\n  dist_policy random;\n}', 'config/proxy.conf:2: host "a" has no proxy_pass line'],
    [
      'a host defined twice',
      'host "a" { proxy_pass http://127.0.0.1:1; }\nhost "A" { proxy_pass http://127.0.0.1:2; }',
      'config/proxy.conf:2: host "a" is already defined on line 1',
    ],
    [
      'dist_policy given twice',
      'host "a" {\n  proxy_pass http://127.0.0.1:1;\n  dist_policy random;\n  dist_policy least-conn;\n}',
      'config/proxy.conf:4: dist_policy is already set on line 3',
    ],
    [
      'an ftp backend',
      'host "a" {\n  proxy_pass ftp://127.0.0.1:9000;\n}',
      "config/proxy.conf:2: invalid proxy_pass URL 'ftp://127.0.0.1:9000': only http:// and https:// backends are supported",
    ],
    [
      'a trusted certificate for a host with no https backend',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_ssl_trusted_certificate cert/cert.pem;\n}',
      'config/proxy.conf:3: proxy_ssl_trusted_certificate is for https:// backends; this host has none',
    ],
    [
      'a second trusted certificate',
      'host "a" {\n  proxy_pass https://127.0.0.1:9443;\n  proxy_ssl_trusted_certificate a.pem;\n  proxy_ssl_trusted_certificate b.pem;\n}',
      'config/proxy.conf:4: proxy_ssl_trusted_certificate is already set on line 3',
    ],
    [
      'a backend URL with a path',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000/app;\n}',
      "config/proxy.conf:2: invalid proxy_pass URL 'http://127.0.0.1:9000/app': give only http://host:port, without a path",
    ],
    [
      'a backend that is not a URL',
      'host "a" {\n  proxy_pass 127.0.0.1:9000;\n}',
      "config/proxy.conf:2: invalid proxy_pass URL '127.0.0.1:9000': expected http://host:port",
    ],
    [
      'proxy_pass with no URL',
      'host "a" {\n  proxy_pass ;\n}',
      "config/proxy.conf:2: expected a backend URL after proxy_pass, like http://127.0.0.1:9000, found ';'",
    ],
    [
      'an unknown variable',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_set_header X-Real-IP $client_ip;\n}',
      'config/proxy.conf:3: unknown variable $client_ip; use $host, $remote_addr or $scheme',
    ],
    [
      'a header name that is not a token',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_set_header "Bad Name" x;\n}',
      'config/proxy.conf:3: "Bad Name" is not a valid header name',
    ],
    [
      'proxy_set_header with a value of two words',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_set_header X-A one two;\n}',
      "config/proxy.conf:3: expected ';' after proxy_set_header value",
    ],
    [
      'max_fails that is not a number',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  max_fails many;\n}',
      "config/proxy.conf:3: max_fails must be a whole number (0 turns it off), not 'many'",
    ],
    [
      'max_fails given twice',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  max_fails 2;\n  max_fails 3;\n}',
      'config/proxy.conf:4: max_fails is already set on line 3',
    ],
    [
      'a fail_timeout without a valid unit',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  fail_timeout 10h;\n}',
      "config/proxy.conf:3: invalid time '10h'; write it like 10s, 500ms or 1m",
    ],
    [
      'a fail_timeout without its semicolon',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  fail_timeout 10s\n}',
      "config/proxy.conf:3: expected ';' after fail_timeout",
    ],
    [
      'proxy_set_header of Content-Length (the proxy frames the body itself)',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_set_header content-length 0;\n}',
      'config/proxy.conf:3: proxy_set_header cannot set content-length: the proxy frames the body itself (RFC 9112 §6)',
    ],
    [
      'proxy_set_header of Transfer-Encoding',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_set_header Transfer-Encoding chunked;\n}',
      'config/proxy.conf:3: proxy_set_header cannot set Transfer-Encoding: the proxy frames the body itself (RFC 9112 §6)',
    ],
    [
      'proxy_set_header Host ""',
      'host "a" {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_set_header Host "";\n}',
      'config/proxy.conf:3: proxy_set_header Host cannot be empty: HTTP/1.1 requests must carry a Host (RFC 9112 §3.2)',
    ],
    [
      'something other than a host block at the top',
      '\n\nserver {\n}',
      "config/proxy.conf:3: expected 'host \"name:port\" {', found 'server'",
    ],
    [
      'a file with only comments',
      '# nothing here\n',
      'config/proxy.conf:1: no host blocks; add one like: host "127.0.0.1:8080" { proxy_pass http://127.0.0.1:9000; }',
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`reports ${what} with the line number`, () => {
      expect(errorOf(text)).to.equal(message);
    });
  }

  it('gives the line in the error result too', () => {
    const result = parseProxyConfig('host "a" {\n\n\n  dist_policy nope;\n}', 'x.conf');
    expect(result).to.include({ kind: 'error', line: 4 });
  });
});

describe('findVirtualHost()', () => {
  const hosts = hostsOf(
    [
      'host "127.0.0.1:8080" { proxy_pass http://127.0.0.1:9000; }',
      'host "localhost:8080" { proxy_pass http://127.0.0.1:9001; }',
      'host "localhost:9090" { proxy_pass http://127.0.0.1:9002; }',
      'host "[::1]:8080" { proxy_pass http://127.0.0.1:9003; }',
    ].join('\n'),
  );
  const pick = (header: string | undefined) => findVirtualHost(hosts, header)?.backends[0].port ?? null;

  it('matches host:port exactly, ignoring case', () => {
    expect(pick('127.0.0.1:8080')).to.equal(9000);
    expect(pick('LOCALHOST:9090')).to.equal(9002);
    expect(pick('[::1]:8080')).to.equal(9003);
  });

  it('falls back to the name alone when the port is missing or different (first block wins)', () => {
    expect(pick('localhost')).to.equal(9001);
    expect(pick('127.0.0.1:18080')).to.equal(9000);
    expect(pick('[::1]')).to.equal(9003);
  });

  it('returns null for an unknown or missing Host', () => {
    expect(pick('example.com')).to.equal(null);
    expect(pick(undefined)).to.equal(null);
  });
});
