import { describe, expect, expectTypeOf, it } from 'vitest';
import { definedOnly, withDefaults } from './with-defaults.js';

interface Options {
  name: string;
  size?: number;
  mode?: 'a' | 'b';
  limit?: number | null;
  extra?: string;
}
const DEFAULTS = { size: 8, mode: 'a', limit: 10 } as const;

describe('withDefaults', () => {
  it('an explicit undefined keeps the default, as a missing field does', () => {
    const given: Options = { name: 'x', size: undefined, mode: undefined, extra: undefined };
    expect(withDefaults(DEFAULTS, given)).toEqual({ name: 'x', size: 8, mode: 'a', limit: 10 });
    // The plain spread this replaces lets the undefined through.
    expect({ ...DEFAULTS, ...given }.size).toBeUndefined();
  });

  it('given values win, null included (a value, not a missing field)', () => {
    expect(withDefaults(DEFAULTS, { name: 'y', size: 0, mode: 'b', limit: null } as Options)).toEqual({ name: 'y', size: 0, mode: 'b', limit: null });
    expect(withDefaults(DEFAULTS, undefined)).toEqual(DEFAULTS);
  });

  it('types defaulted fields as never undefined and keeps the others optional', () => {
    const resolved = withDefaults(DEFAULTS, { name: 'z' } as Options);
    expectTypeOf(resolved.size).toEqualTypeOf<number>();
    expectTypeOf(resolved.mode).toEqualTypeOf<'a' | 'b'>();
    expectTypeOf(resolved.limit).toEqualTypeOf<number | null>();
    expectTypeOf(resolved.extra).toEqualTypeOf<string | undefined>();
    expectTypeOf(resolved.name).toEqualTypeOf<string>();
  });

  it('definedOnly drops undefined fields and nothing else', () => {
    expect(definedOnly({ a: undefined, b: null, c: 0, d: '' })).toEqual({ b: null, c: 0, d: '' });
    expect(Object.keys(definedOnly({ a: undefined }))).toEqual([]);
  });
});
