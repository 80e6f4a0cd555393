import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
} from "@aws-sdk/client-dynamodb";
import { flattenPrice, type ModelPrice, modelPriceSchema, priceSourceSchema, type PricingStore, unflattenPrice } from "../../gateway/pricing/model-price.ts";
import { compareText, Expression, type Item, num, readNum, readStr, str } from "./attributes.ts";

/** Seed rows written at once. */
const seedConcurrency = 8;

export function dynamoPricingStore(client: DynamoDBClient, table: string): PricingStore {
  /** Puts a seed row unless an operator's row or an equal seed row is there; true when written. */
  const seedOne = async (price: ModelPrice): Promise<boolean> => {
    const expression = new Expression();
    const differs = Object.entries(priceNumbers(price))
      .map(([name, value]) => `${expression.name(name)} <> ${expression.value(num(value))}`)
      .join(" OR ");
    const condition = `attribute_not_exists(${expression.name("model_id")}) OR (${expression.name("source")} = ${expression.value(str("seed"))} AND (${differs}))`;
    try {
      await client.send(new PutItemCommand({ TableName: table, Item: toItem(price), ConditionExpression: condition, ...expression.attributes() }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  return {
    async getPrice(modelId) {
      const { Item: found } = await client.send(new GetItemCommand({ TableName: table, Key: { model_id: str(modelId) }, ConsistentRead: true }));
      return found ? fromItem(found) : undefined;
    },
    async listPrices() {
      const prices: ModelPrice[] = [];
      for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) for (const found of page.Items ?? []) prices.push(fromItem(found));
      return prices.sort((a, b) => compareText(a.model_id, b.model_id));
    },
    async putPrice(input) {
      const price: ModelPrice = { ...modelPriceSchema.parse(input), source: "operator", updated_at: new Date().toISOString() };
      await client.send(new PutItemCommand({ TableName: table, Item: toItem(price) }));
      return price;
    },
    async deletePrice(modelId) {
      const { Attributes: old } = await client.send(new DeleteItemCommand({ TableName: table, Key: { model_id: str(modelId) }, ReturnValues: "ALL_OLD" }));
      return old !== undefined;
    },
    async seedPricing(entries) {
      const updatedAt = new Date().toISOString();
      const prices = entries.map((entry): ModelPrice => ({ ...modelPriceSchema.parse(entry), source: "seed", updated_at: updatedAt }));
      let written = 0;
      for (let start = 0; start < prices.length; start += seedConcurrency) {
        const results = await Promise.all(prices.slice(start, start + seedConcurrency).map(seedOne));
        written += results.filter(Boolean).length;
      }
      return { written, kept: prices.length - written };
    },
  };
}

/** The numbers of a price, by attribute name. */
function priceNumbers(price: ModelPrice): Record<string, number> {
  const { model_id: _id, source: _source, updated_at: _updated, ...numbers } = flattenPrice(price);
  return numbers;
}

function toItem(price: ModelPrice): Item {
  const numbers = Object.entries(priceNumbers(price)).map(([name, value]) => [name, num(value)] as const);
  return { model_id: str(price.model_id), source: str(price.source), updated_at: str(price.updated_at), ...Object.fromEntries(numbers) };
}

function fromItem(from: Item): ModelPrice {
  return unflattenPrice({
    model_id: readStr(from, "model_id"),
    input_usd_per_mtok: readNum(from, "input_usd_per_mtok"),
    output_usd_per_mtok: readNum(from, "output_usd_per_mtok"),
    cache_read_usd_per_mtok: readNum(from, "cache_read_usd_per_mtok"),
    cache_write_usd_per_mtok: readNum(from, "cache_write_usd_per_mtok"),
    tier_default: readNum(from, "tier_default"),
    tier_flex: readNum(from, "tier_flex"),
    tier_priority: readNum(from, "tier_priority"),
    tier_reserved: readNum(from, "tier_reserved"),
    source: priceSourceSchema.parse(readStr(from, "source")),
    updated_at: readStr(from, "updated_at"),
  });
}
