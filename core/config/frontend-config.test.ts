import { describe, expect, it } from 'vitest';
import { DEFAULT_ABUSE_LIMITS, DEFAULT_CONTENT_FILTER, DEFAULT_MX_GREETING_DELAY_MS } from './defaults.ts';
import { ENV } from './env-names.ts';
import { ConfigError } from './errors.ts';
import { abuseLimits, parseFrontendConfig } from './frontend-config.ts';

describe('frontend config', () => {
  it('has working defaults above port 1024', () => {
    const config = parseFrontendConfig({});
    expect(config).toMatchObject({ mxPort: 2525, submissionPort: 2587, tlsPort: 2465, dataDir: './.strato' });
    expect(config.reverseDns).toBe(false);
    expect(config.trustedNetworks).toEqual([]);
  });

  it('greeting delay per listener: a short wait on MX, none on submission and implicit TLS', () => {
    expect(parseFrontendConfig({})).toMatchObject({
      mxGreetingDelayMs: DEFAULT_MX_GREETING_DELAY_MS,
      submissionGreetingDelayMs: 0,
      smtpsGreetingDelayMs: 0,
    });
    expect(DEFAULT_MX_GREETING_DELAY_MS).toBeLessThan(100);
    const set = parseFrontendConfig({
      [ENV.mxGreetingDelayMs]: '0',
      [ENV.submissionGreetingDelayMs]: '50',
      [ENV.smtpsGreetingDelayMs]: '5',
    });
    expect([set.mxGreetingDelayMs, set.submissionGreetingDelayMs, set.smtpsGreetingDelayMs]).toEqual([
      0, 50, 5,
    ]);
    expect(() => parseFrontendConfig({ [ENV.mxGreetingDelayMs]: '-1' })).toThrow(ENV.mxGreetingDelayMs);
    expect(() => parseFrontendConfig({ [ENV.mxGreetingDelayMs]: '60001' })).toThrow(ENV.mxGreetingDelayMs);
  });

  it('reads typed values from the environment', () => {
    const config = parseFrontendConfig({
      [ENV.mxPort]: '25',
      [ENV.trustedNetworks]: '10.0.0.0/8, 192.168.1.0/24',
      [ENV.reverseDns]: 'yes',
      [ENV.maxMessageSize]: '1000',
    });
    expect(config.mxPort).toBe(25);
    expect(config.trustedNetworks).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
    expect(config.reverseDns).toBe(true);
    expect(config.maxMessageSize).toBe(1000);
  });

  it('reports every problem at once, each named by its variable', () => {
    try {
      parseFrontendConfig({ [ENV.mxPort]: 'abc', [ENV.maxMessageSize]: '-1', [ENV.reverseDns]: 'perhaps' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/STRATO_SMTP_PORT.*"abc"/);
      expect(problems.join('\n')).toMatch(/STRATO_MAX_MESSAGE_SIZE/);
      expect(problems.join('\n')).toMatch(/STRATO_REVERSE_DNS/);
    }
  });

  it('content filter: off by default; rspamd:<url> with its timeout, fallback and breaker', () => {
    const off = parseFrontendConfig({});
    expect(off.contentFilter).toBeUndefined();
    expect(off.contentFilterTimeoutMs).toBe(DEFAULT_CONTENT_FILTER.timeoutMs);
    expect(off.contentFilterFailure).toBe('accept');
    expect(off.contentFilterBreakerFailures).toBe(5);
    expect(off.contentFilterBreakerSeconds).toBe(60);
    const on = parseFrontendConfig({
      [ENV.contentFilter]: 'rspamd:http://127.0.0.1:11333',
      [ENV.contentFilterTimeoutMs]: '2500',
      [ENV.contentFilterFailure]: 'tempfail',
      [ENV.contentFilterBreakerFailures]: '0',
    });
    expect(on.contentFilter).toEqual({ kind: 'rspamd', url: 'http://127.0.0.1:11333' });
    expect(on).toMatchObject({ contentFilterTimeoutMs: 2500, contentFilterFailure: 'tempfail' });
    expect(on.contentFilterBreakerFailures).toBe(0);
    expect(() => parseFrontendConfig({ [ENV.contentFilter]: 'spamassassin:127.0.0.1' })).toThrow(
      /STRATO_CONTENT_FILTER/,
    );
    expect(() => parseFrontendConfig({ [ENV.contentFilterFailure]: 'drop' })).toThrow(
      /STRATO_CONTENT_FILTER_FAILURE/,
    );
  });

  it('verifies inbound mail by default (DMARC reject honoured, SPF fail marked, no DNSBL)', () => {
    const config = parseFrontendConfig({});
    expect(config).toMatchObject({
      inboundAuth: true,
      dmarcReject: 'reject',
      spfFail: 'mark',
      dnsblZones: [],
    });
    expect(config.authservId).toBeUndefined();
    const set = parseFrontendConfig({
      [ENV.inboundAuth]: 'off',
      [ENV.authservId]: 'mx.example.com',
      [ENV.dmarcReject]: 'mark',
      [ENV.spfFail]: 'reject',
      [ENV.dnsblZones]: 'zen.example.org, bl.example.net',
    });
    expect(set).toMatchObject({
      inboundAuth: false,
      authservId: 'mx.example.com',
      dmarcReject: 'mark',
      spfFail: 'reject',
      dnsblZones: ['zen.example.org', 'bl.example.net'],
    });
    expect(() => parseFrontendConfig({ [ENV.dmarcReject]: 'quarantine' })).toThrow(/STRATO_DMARC_REJECT/);
    expect(() => parseFrontendConfig({ [ENV.dnsblZones]: 'bad zone' })).toThrow(/STRATO_DNSBL_ZONES/);
    expect(() => parseFrontendConfig({ [ENV.authservId]: 'a;b' })).toThrow(/STRATO_AUTHSERV_ID/);
  });

  it('wants a TLS certificate and key together', () => {
    expect(() => parseFrontendConfig({ [ENV.tlsCert]: '/x.pem' })).toThrow(
      /STRATO_TLS_CERT and STRATO_TLS_KEY/,
    );
  });

  it('has every abuse limit with its default, each settable (0 = off) by its variable', () => {
    expect(abuseLimits(parseFrontendConfig({}))).toEqual(DEFAULT_ABUSE_LIMITS);
    const set = abuseLimits(
      parseFrontendConfig({
        [ENV.sessionsPerAddress]: '0',
        [ENV.authFailuresPerAccount]: '3',
        [ENV.tarpitStepMs]: '250',
        [ENV.badCommandsPerSession]: '9',
      }),
    );
    expect(set).toMatchObject({
      sessionsPerAddress: 0,
      authFailuresPerAccount: 3,
      tarpitStepMs: 250,
      badCommandsPerSession: 9,
    });
    expect(() => parseFrontendConfig({ [ENV.badCommandsPerSession]: '10' })).toThrow(
      /STRATO_SESSION_BAD_COMMANDS: at most 9/,
    );
    expect(() => parseFrontendConfig({ [ENV.authFailureWindowSeconds]: '0' })).toThrow(
      /STRATO_AUTH_FAILURE_WINDOW_SECONDS/,
    );
  });
});
