/**
 * A table's entry under a name that came from outside (a client's model, beta or field name, an
 * upstream's error name): only the table's own entries, never what every object inherits
 * (`constructor`, `__proto__`, `toString`), which a plain `table[name]` hands back as a function.
 */
export function ownEntry<K extends string, V>(table: Readonly<Partial<Record<K, V>>>, name: string): V | undefined {
  return Object.hasOwn(table, name) ? table[name as K] : undefined;
}
