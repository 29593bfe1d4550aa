import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { AllowList, parseDestination } from '../../src/cli/relay-destination.js';

/** The relay's SSRF guard as a unit: the HOST:PORT grammar and the exact-match decision. */

describe('parseDestination', () => {
  it.each([
    ['db.internal:5432', 'db.internal', 5432],
    ['127.0.0.1:8443', '127.0.0.1', 8443],
    ['[::1]:443', '::1', 443],
    ['[2001:db8::1]:65535', '2001:db8::1', 65535],
    ['a:1', 'a', 1],
  ])('accepts %s', (text, host, port) => {
    expect(parseDestination(text)).toEqual({ host, port, text });
  });

  it.each([
    '127.0.0.1',
    '127.0.0.1:',
    ':443',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1:08443',
    '127.0.0.1:8443@evil',
    'evil@127.0.0.1:8443',
    '::1:443',
    '[::1]',
    '[::1]443',
    '[::1%eth0]:443',
    'a b:1',
    ' a:1',
    'a:1 ',
    'a.:1',
    '-a:1',
    'a-:1',
    '.a:1',
    'a/b:1',
    'a:1/x',
    'a:+1',
    'a:1e3',
    'é.example:1',
    '',
  ])('refuses %j', (text) => {
    expect(parseDestination(text)).toBeUndefined();
  });
});

describe('AllowList', () => {
  it('takes comma-separated and repeated --allow values', () => {
    expect(new AllowList(['db.internal:5432,127.0.0.1:8443', '[::1]:443']).list()).toEqual(['db.internal:5432', '127.0.0.1:8443', '[::1]:443']);
  });

  it('refuses an empty list and malformed entries as usage errors', () => {
    expect(() => new AllowList([])).toThrow(UsageError);
    expect(() => new AllowList([' , '])).toThrow(/--allow HOST:PORT is required/);
    expect(() => new AllowList(['db.internal'])).toThrow(/"db.internal" is not HOST:PORT/);
  });

  it('allows exactly the listed spellings', () => {
    const allow = new AllowList(['db.internal:5432,127.0.0.1:8443,[::1]:443']);
    expect(allow.decide(['db.internal:5432'])).toEqual({ allowed: true, destination: { host: 'db.internal', port: 5432, text: 'db.internal:5432' } });
    expect(allow.decide(['[::1]:443'])).toMatchObject({ allowed: true });
    for (const to of ['DB.internal:5432', 'db.internal.:5432', 'db.internal:5433', 'localhost:8443', '[0:0:0:0:0:0:0:1]:443', '127.0.0.1:8443@evil']) {
      expect(allow.decide([to]), to).toMatchObject({ allowed: false });
    }
    expect(allow.decide(['127.0.0.1:8443@evil'])).toEqual({ allowed: false, reason: 'not HOST:PORT' });
    expect(allow.decide(['localhost:8443'])).toEqual({ allowed: false, reason: 'not in --allow' });
  });

  it('needs exactly one `to`, except that one entry makes it optional', () => {
    const two = new AllowList(['a:1,b:2']);
    expect(two.decide([])).toMatchObject({ allowed: false, reason: expect.stringMatching(/no destination/) });
    expect(two.decide(['a:1', 'a:1'])).toEqual({ allowed: false, reason: 'several "to" parameters' });
    const one = new AllowList(['a:1']);
    expect(one.decide([])).toMatchObject({ allowed: true, destination: { text: 'a:1' } });
    expect(one.decide(['b:2'])).toMatchObject({ allowed: false });
  });
});
