const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** Orders names as people do: 2.png before 10.png. */
export function compareNatural(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
