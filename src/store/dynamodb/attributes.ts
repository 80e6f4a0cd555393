import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * DynamoDB's attribute values, written and read by hand (the low-level client has no marshaller and a
 * handful of shapes is all the store uses). A null field is an absent attribute.
 */

export type Item = Record<string, AttributeValue>;

export const str = (value: string): AttributeValue => ({ S: value });
/** DynamoDB numbers are decimal strings: `String(0.1)` is "0.1", so sums of them are exact. */
export const num = (value: number): AttributeValue => ({ N: String(value) });
export const strList = (values: readonly string[]): AttributeValue => ({ L: values.map(str) });
export const strMap = (entries: Record<string, string>): AttributeValue => ({ M: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, str(v)])) });

export const optStr = (value: string | null): AttributeValue | undefined => (value === null ? undefined : str(value));
export const optNum = (value: number | null): AttributeValue | undefined => (value === null ? undefined : num(value));

/** An item from attributes, leaving out the absent (null) ones. */
export function item(attributes: Record<string, AttributeValue | undefined>): Item {
  const result: Item = {};
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) result[name] = value;
  return result;
}

export function readStr(from: Item, name: string): string {
  const value = from[name]?.S;
  if (value === undefined) throw new Error(`DynamoDB item has no string attribute ${name}`);
  return value;
}

export function readOptStr(from: Item, name: string): string | null {
  return from[name]?.S ?? null;
}

export function readNum(from: Item, name: string): number {
  const value = from[name]?.N;
  if (value === undefined) throw new Error(`DynamoDB item has no number attribute ${name}`);
  return Number(value);
}

export function readOptNum(from: Item, name: string): number | null {
  const value = from[name]?.N;
  return value === undefined ? null : Number(value);
}

export function readStrList(from: Item, name: string): string[] {
  return (from[name]?.L ?? []).map((value, index) => {
    if (value.S === undefined) throw new Error(`DynamoDB attribute ${name}[${index}] is not a string`);
    return value.S;
  });
}

export function readStrMap(from: Item, name: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(from[name]?.M ?? {}).map(([key, value]) => {
      if (value.S === undefined) throw new Error(`DynamoDB attribute ${name}.${key} is not a string`);
      return [key, value.S];
    }),
  );
}

/** Text order as SQLite's BINARY collation orders ASCII: the stores list alike. */
export { compareText } from "../../gateway/values.ts";

/**
 * Builds expression placeholders: every attribute name goes through `#name` (DynamoDB reserves
 * hundreds of words: status, name, owner, model, …) and every value through `:vN`, and only the ones
 * used are sent (DynamoDB rejects unused placeholders).
 */
export class Expression {
  private readonly names: Record<string, string> = {};
  private readonly values: Item = {};

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: AttributeValue): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `SET a = :v0, … ADD b :v1, … REMOVE c, …` from the non-empty parts. */
  update(parts: { set?: Item; add?: Item; remove?: readonly string[] }): string {
    const clauses: string[] = [];
    const set = Object.entries(parts.set ?? {}).map(([name, value]) => `${this.name(name)} = ${this.value(value)}`);
    const add = Object.entries(parts.add ?? {}).map(([name, value]) => `${this.name(name)} ${this.value(value)}`);
    const remove = (parts.remove ?? []).map((name) => this.name(name));
    if (set.length > 0) clauses.push(`SET ${set.join(", ")}`);
    if (add.length > 0) clauses.push(`ADD ${add.join(", ")}`);
    if (remove.length > 0) clauses.push(`REMOVE ${remove.join(", ")}`);
    return clauses.join(" ");
  }

  /** The placeholder maps, to spread into a command's input. */
  attributes(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item } {
    return {
      ...(Object.keys(this.names).length > 0 && { ExpressionAttributeNames: this.names }),
      ...(Object.keys(this.values).length > 0 && { ExpressionAttributeValues: this.values }),
    };
  }
}
