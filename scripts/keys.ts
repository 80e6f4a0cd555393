import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { configSchema } from "../src/config.ts";
import type { KeyWithSecret } from "../src/gateway/keys/service.ts";
import { KeyService } from "../src/gateway/keys/service.ts";
import {
  type CreateKeyBody,
  createKeyBodySchema,
  issuedKeyView,
  type KeyView,
  keyView,
  revokedMessage,
  usageQuerySchema,
  usageView,
} from "../src/gateway/admin-views.ts";
import { describeIssues } from "../lib/zod-issues.ts";
import { createStore } from "../src/store/create-store.ts";
import { storeOptionsFrom } from "../src/store/options.ts";
import { type ApiKey, type KeyPatch, StoreConflictError } from "../src/gateway/keys/api-key.ts";
import type { Store } from "../src/gateway/store.ts";
import type { AdminActor } from "../src/gateway/audit/audit-entry.ts";

/**
 * `bun run keys -- <command>`: the operator's key tool, straight on the configured store (no proxy
 * needed). It goes through the same KeyService and the same schemas as the admin API, so a key is
 * the same whichever made it. Exit codes: 0 done, 1 the store refused (unknown or revoked key),
 * 2 bad arguments or settings.
 */

const usage = `usage: bun run keys -- <command> [options] [--json]

  create --name N [--owner O] [--rpm N] [--tpm N] [--budget USD] [--tier T] [--models glob,glob] [--expires ISO]
  list
  show ID
  disable ID [--reason R]
  enable ID
  revoke ID [--reason R]
  rotate ID
  usage [--key ID] [--model M] [--bucket hour|day] [--from ISO] [--to ISO]

The store is the proxy's: STORE (sqlite|dynamodb), SQLITE_PATH, DYNAMODB_ENDPOINT, DYNAMODB_TABLE_PREFIX,
DYNAMODB_CREATE_TABLES, AWS_REGION.`;

/** Who the audit log names for this tool's changes. */
const cli: AdminActor = { via: "cli" };

/** The store's settings, validated as the proxy validates them. */
const environmentSchema = configSchema.pick({
  STORE: true,
  SQLITE_PATH: true,
  DYNAMODB_ENDPOINT: true,
  DYNAMODB_TABLE_PREFIX: true,
  DYNAMODB_CREATE_TABLES: true,
  AWS_REGION: true,
});

/** A refusal with its exit code: 2 for the caller's arguments or settings, 1 for what the store said. */
class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;
const text = { type: "string" } as const;

type Values = ReturnType<typeof parseArgs>["values"];

interface Command {
  /** How many positionals it takes: none, or the key's id. */
  takesId: boolean;
  options: Options;
  run(store: Store, args: { id: string; values: Values; json: boolean }): Promise<void>;
}

const commands: Record<string, Command> = {
  create: {
    takesId: false,
    options: { name: text, owner: text, rpm: text, tpm: text, budget: text, tier: text, models: text, expires: text },
    async run(store, { values, json }) {
      printIssued(await new KeyService(store).create(createSettings(values), cli), "created", json);
    },
  },
  list: {
    takesId: false,
    options: {},
    async run(store, { json }) {
      const keys = (await store.listKeys()).map(keyView);
      if (json) return printJson({ data: keys });
      printTable(keys.map(keyRow));
    },
  },
  show: {
    takesId: true,
    options: {},
    async run(store, { id, json }) {
      const key = keyView(found(await store.getKey(id), id));
      const spend = await store.listMonthSpend(id);
      if (json) return printJson({ ...key, month_spend: spend });
      for (const [field, value] of Object.entries(key)) console.log(`${field.padEnd(20)} ${cell(value)}`);
      for (const month of spend) console.log(`${`spend ${month.month}`.padEnd(20)} $${month.spend_usd}`);
    },
  },
  disable: {
    takesId: true,
    options: { reason: text },
    run: (store, { id, values, json }) => changeStatus(store, id, { status: "disabled", status_reason: optionalText(values.reason) ?? null }, "disabled", json),
  },
  enable: {
    takesId: true,
    options: {},
    run: (store, { id, json }) => changeStatus(store, id, { status: "active" }, "enabled", json),
  },
  revoke: {
    takesId: true,
    options: { reason: text },
    async run(store, { id, values, json }) {
      printKey(found(await new KeyService(store).revoke(id, cli, optionalText(values.reason)), id), "revoked", json);
    },
  },
  rotate: {
    takesId: true,
    options: {},
    async run(store, { id, json }) {
      printIssued(found(await new KeyService(store).rotate(id, cli), id), "rotated", json);
    },
  },
  usage: {
    takesId: false,
    options: { key: text, model: text, bucket: text, from: text, to: text },
    async run(store, { values, json }) {
      const query = validated(usageQuerySchema, {
        key_id: values.key,
        model: values.model,
        bucket: values.bucket,
        from: values.from,
        to: values.to,
      });
      const rows = (await store.queryRollups(query)).map(usageView);
      if (json) return printJson({ data: rows });
      printTable(
        rows.map((row) => ({
          [query.bucket === "hour" ? "HOUR" : "DAY"]: row.bucket_start,
          KEY: row.key_id,
          MODEL: row.model,
          REQUESTS: row.requests,
          INPUT: row.input_tokens,
          OUTPUT: row.output_tokens,
          "CACHE READ": row.cache_read_input_tokens,
          "CACHE WRITE": row.cache_creation_input_tokens,
          "COST USD": row.cost_usd,
          ERRORS: row.errors,
        })),
      );
    },
  },
};

/** CLI flags by the field they set, so a validation message names what the operator typed. */
const flagOf: Record<string, string> = {
  monthly_budget_usd: "--budget",
  service_tier: "--tier",
  allowed_models: "--models",
  expires_at: "--expires",
  key_id: "--key",
};

function createSettings(values: Values) {
  const body: Record<keyof CreateKeyBody, unknown> = {
    name: optionalText(values.name),
    owner: optionalText(values.owner),
    rpm: optionalNumber(values.rpm),
    tpm: optionalNumber(values.tpm),
    monthly_budget_usd: optionalNumber(values.budget),
    service_tier: optionalText(values.tier),
    allowed_models: optionalText(values.models)
      ?.split(",")
      .map((glob) => glob.trim())
      .filter((glob) => glob !== ""),
    model_map: undefined,
    expires_at: optionalText(values.expires),
  };
  return validated(createKeyBodySchema, body);
}

/** Parses with the admin API's schema; a failure names the flag, and exits 2. */
function validated<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? "");
    return { ...issue, path: [flagOf[field] ?? `--${field}`, ...issue.path.slice(1)] };
  });
  throw new CliFailure(describeIssues(issues), 2);
}

async function changeStatus(store: Store, id: string, patch: KeyPatch, what: string, json: boolean): Promise<void> {
  try {
    printKey(found(await new KeyService(store).update(id, patch, cli), id), what, json);
  } catch (error) {
    if (error instanceof StoreConflictError) throw new CliFailure(revokedMessage(id), 1);
    throw error;
  }
}

function found<T>(value: T | undefined, id: string): T {
  if (value === undefined) throw new CliFailure(`no API key with id ${id}`, 1);
  return value;
}

const optionalText = (value: Values[string]) => (typeof value === "string" ? value : undefined);
/** `Number("abc")` is NaN, which the schema then refuses with the flag's name. */
const optionalNumber = (value: Values[string]) => (typeof value === "string" ? Number(value) : undefined);

function printIssued(issued: KeyWithSecret, what: string, json: boolean): void {
  const warning = "This is the only time the secret is shown: the store keeps only its hash. Save it now.";
  if (json) {
    printJson(issuedKeyView(issued));
    console.error(warning);
    return;
  }
  console.log(`${what} key ${issued.key.id} (${issued.key.name})`);
  printTable([keyRow(keyView(issued.key))]);
  console.log(`\nsecret: ${issued.secret}\n${warning}`);
}

function printKey(key: ApiKey, what: string, json: boolean): void {
  if (json) return printJson(keyView(key));
  console.log(`${what} key ${key.id} (${key.name})${key.status_reason ? `: ${key.status_reason}` : ""}`);
}

function keyRow(key: KeyView): Record<string, unknown> {
  return {
    ID: key.id,
    NAME: key.name,
    OWNER: key.owner,
    STATUS: key.status,
    PREFIX: key.key_prefix,
    RPM: key.rpm,
    TPM: key.tpm,
    "BUDGET USD": key.monthly_budget_usd,
    TIER: key.service_tier,
    MODELS: key.allowed_models.join(","),
    EXPIRES: key.expires_at,
    CREATED: key.created_at,
    "LAST USED": key.last_used_at,
  };
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Columns padded to their widest cell; an empty list says so instead of printing bare headers. */
function printTable(rows: readonly Record<string, unknown>[]): void {
  const [first] = rows;
  if (!first) {
    console.log("(none)");
    return;
  }
  const headers = Object.keys(first);
  const cells = rows.map((row) => headers.map((header) => cell(row[header])));
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((line) => line[column]?.length ?? 0)));
  const line = (values: readonly string[]) => values.map((value, column) => value.padEnd(widths[column] ?? 0)).join("  ").trimEnd();
  console.log(line(headers));
  for (const values of cells) console.log(line(values));
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The command, its arguments and its store settings, or a CliFailure saying what is wrong with them. */
function parseCommandLine(argv: readonly string[], env: Record<string, string | undefined>) {
  const [name, ...rest] = argv[0] === "--" ? argv.slice(1) : argv;
  if (name === undefined) throw new CliFailure(`a command is required\n\n${usage}`, 2);
  const command = commands[name];
  if (!command) throw new CliFailure(`unknown command "${name}"\n\n${usage}`, 2);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, json: { type: "boolean" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliFailure(`${name}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
  const { values, positionals } = parsed;
  if (command.takesId && positionals.length !== 1) throw new CliFailure(`${name} takes exactly one key id: bun run keys -- ${name} ID`, 2);
  if (!command.takesId && positionals.length > 0) throw new CliFailure(`${name} takes no positional argument (got ${positionals.join(" ")})`, 2);
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const settings = environmentSchema.safeParse(present);
  if (!settings.success) throw new CliFailure(settings.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("\n"), 2);
  return { command, args: { id: positionals[0] ?? "", values, json: values.json === true }, settings: settings.data };
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "help" || argv.some((arg) => arg === "--help" || arg === "-h")) {
    console.log(usage);
    return 0;
  }
  try {
    const { command, args, settings } = parseCommandLine(argv, process.env);
    const store = await createStore(storeOptionsFrom(settings));
    try {
      await command.run(store, args);
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    // Anything else (an unreachable store, missing tables) is the store's refusal too: its message, exit 1.
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof CliFailure ? error.exitCode : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
