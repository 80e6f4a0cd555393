/**
 * A small leveled logger writing one JSON object per line to stderr, so logs stay machine-readable
 * and stdout stays free for the CLI tools.
 */

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof levels;
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

export function createLogger(minimum: LogLevel, base: LogFields = {}, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = levels[minimum];
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (levels[level] < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields }, errorReplacer)}\n`);
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => createLogger(minimum, { ...base, ...fields }, write),
    enabled: (level) => levels[level] >= threshold,
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
