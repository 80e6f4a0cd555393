import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, paginateScan } from "@aws-sdk/client-dynamodb";
import { type AliasStore, type ModelAlias, modelAliasSchema } from "../../gateway/model-alias.ts";
import { compareText, type Item, readStr, str } from "./attributes.ts";

export function dynamoAliasStore(client: DynamoDBClient, table: string): AliasStore {
  return {
    async getAlias(alias) {
      const { Item: found } = await client.send(new GetItemCommand({ TableName: table, Key: { alias: str(alias) }, ConsistentRead: true }));
      return found ? fromItem(found) : undefined;
    },
    async listAliases() {
      const aliases: ModelAlias[] = [];
      for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) for (const found of page.Items ?? []) aliases.push(fromItem(found));
      return aliases.sort((a, b) => compareText(a.alias, b.alias));
    },
    async putAlias(input) {
      const alias: ModelAlias = { ...modelAliasSchema.parse(input), updated_at: new Date().toISOString() };
      await client.send(new PutItemCommand({ TableName: table, Item: { alias: str(alias.alias), model_id: str(alias.model_id), updated_at: str(alias.updated_at) } }));
      return alias;
    },
    async deleteAlias(alias) {
      const { Attributes: old } = await client.send(new DeleteItemCommand({ TableName: table, Key: { alias: str(alias) }, ReturnValues: "ALL_OLD" }));
      return old !== undefined;
    },
  };
}

function fromItem(from: Item): ModelAlias {
  return { alias: readStr(from, "alias"), model_id: readStr(from, "model_id"), updated_at: readStr(from, "updated_at") };
}
