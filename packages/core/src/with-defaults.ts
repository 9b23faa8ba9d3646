/**
 * Options laid over their defaults, typed: a field the defaults hold is never `undefined` in the
 * result, other fields keep the type (and optionality) they had.
 */
export type WithDefaults<Defaults extends object, Options extends object> = Omit<Options, keyof Defaults> & {
  -readonly [K in keyof Defaults]: K extends keyof Options ? Defaults[K] | Exclude<Options[K], undefined> : Defaults[K];
};

/**
 * The fields of `options` whose value is not `undefined`. An option given as `undefined`
 * (`{ buckets: parsed.buckets }` where nothing was parsed) means "not given", as it does for a
 * missing field; `null` is a value and stays.
 */
export function definedOnly<T extends object>(options: T): Partial<T> {
  const result: Partial<T> = {};
  for (const key of Object.keys(options) as (keyof T)[]) {
    if (options[key] !== undefined) result[key] = options[key];
  }
  return result;
}

/**
 * `{ ...defaults, ...options }` where a field of `options` that is `undefined` keeps its default.
 * A plain spread would let an explicit `undefined` replace the default (and crash far from the
 * cause, e.g. "Cannot read properties of undefined"); every options object with defaults in
 * @dit is resolved through this.
 */
export function withDefaults<Defaults extends object, Options extends object>(
  defaults: Defaults,
  options: Options | undefined,
): WithDefaults<Defaults, Options> {
  return { ...defaults, ...(options ? definedOnly(options) : {}) } as WithDefaults<Defaults, Options>;
}
