import { describe, expect, test } from "bun:test";
import {
  AccessDeniedException,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  InvokeModelWithResponseStreamCommand,
  ModelErrorException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import type { ExceptionName, StreamExceptionMember } from "../../emulator/errors.ts";
import { invokeBody, sonnet, userText, useEmulator } from "./helpers.ts";

const emulator = useEmulator();

const typed: [ExceptionName, number, new (...args: never[]) => BedrockRuntimeServiceException][] = [
  ["ThrottlingException", 429, ThrottlingException],
  ["ValidationException", 400, ValidationException],
  ["ServiceUnavailableException", 503, ServiceUnavailableException],
  ["ModelNotReadyException", 429, ModelNotReadyException],
  ["ModelTimeoutException", 408, ModelTimeoutException],
  ["AccessDeniedException", 403, AccessDeniedException],
  ["ResourceNotFoundException", 404, ResourceNotFoundException],
  ["InternalServerException", 500, InternalServerException],
  ["ModelErrorException", 424, ModelErrorException],
  ["ServiceQuotaExceededException", 400, ServiceQuotaExceededException],
];

const converse = () => emulator.runtime().send(new ConverseCommand({ modelId: sonnet, messages: [userText("hi")] }));

async function caught(promise: Promise<unknown>): Promise<BedrockRuntimeServiceException> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof BedrockRuntimeServiceException)) throw new Error(`expected an SDK service exception, got ${String(error)}`);
  return error;
}

describe("pre-stream errors", () => {
  test.each(typed)("a scripted %s reaches the SDK as its typed exception with status %d", async (type, status, exceptionClass) => {
    await emulator.queue({ error: { type, message: `scripted ${type}` } });
    const error = await caught(converse());
    expect(error).toBeInstanceOf(exceptionClass);
    expect(error.name).toBe(type);
    expect(error.message).toBe(`scripted ${type}`);
    expect(error.$metadata.httpStatusCode).toBe(status);
  });

  test("the wire shape is Bedrock's: status, x-amzn-ErrorType with the coral namespace, {message}", async () => {
    await emulator.queue({ error: { type: "ThrottlingException" } });
    const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/converse-stream`, { messages: [userText("hi")] });
    expect(response.status).toBe(429);
    expect(response.headers.get("x-amzn-errortype")).toBe("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({ message: "Too many requests, please wait before trying again." });
  });

  test("stream operations fail at send, before any event", async () => {
    await emulator.queue({ error: { type: "ServiceUnavailableException" } }, { error: { type: "ModelNotReadyException" } });
    const converseStream = emulator.runtime().send(new ConverseStreamCommand({ modelId: sonnet, messages: [userText("hi")] }));
    expect(await caught(converseStream)).toBeInstanceOf(ServiceUnavailableException);
    const invokeStream = emulator.runtime().send(new InvokeModelWithResponseStreamCommand({ modelId: sonnet, body: JSON.stringify(invokeBody()) }));
    expect(await caught(invokeStream)).toBeInstanceOf(ModelNotReadyException);
  });

  test("a streamError on a non-stream operation fails the call with that exception", async () => {
    await emulator.queue({ streamError: { afterEvents: 3, type: "modelStreamErrorException", message: "boom" } });
    const error = await caught(converse());
    expect(error.name).toBe("ModelStreamErrorException");
    expect(error.$metadata.httpStatusCode).toBe(424);
  });
});

/** Sends and iterates; the error may surface from either (the SDK reads the first frame during send). */
async function countUntilFailure(events: () => Promise<AsyncIterable<unknown> | undefined>): Promise<{ events: number; error: unknown }> {
  let count = 0;
  try {
    for await (const _ of (await events()) ?? []) count++;
    return { events: count, error: undefined };
  } catch (error) {
    return { events: count, error };
  }
}

const iterateConverseStream = () =>
  countUntilFailure(async () => (await emulator.runtime().send(new ConverseStreamCommand({ modelId: sonnet, messages: [userText("hi")] }))).stream);

const iterateInvokeStream = () =>
  countUntilFailure(async () => (await emulator.runtime().send(new InvokeModelWithResponseStreamCommand({ modelId: sonnet, body: JSON.stringify(invokeBody()) }))).body);

const converseMembers: [StreamExceptionMember, string][] = [
  ["internalServerException", "InternalServerException"],
  ["modelStreamErrorException", "ModelStreamErrorException"],
  ["validationException", "ValidationException"],
  ["throttlingException", "ThrottlingException"],
  ["serviceUnavailableException", "ServiceUnavailableException"],
];

describe("in-stream exceptions", () => {
  test.each(converseMembers)("ConverseStream: %s is thrown while iterating, after the scripted events", async (type, name) => {
    await emulator.queue({ streamError: { afterEvents: 2, type, message: "mid-stream failure" } });
    const { events, error } = await iterateConverseStream();
    expect(events).toBe(2);
    expect(error).toBeInstanceOf(BedrockRuntimeServiceException);
    expect((error as Error).name).toBe(name);
    expect((error as Error).message).toBe("mid-stream failure");
  });

  test.each([...converseMembers, ["modelTimeoutException", "ModelTimeoutException"] as [StreamExceptionMember, string]])(
    "InvokeModelWithResponseStream: %s is thrown while iterating",
    async (type, name) => {
      await emulator.queue({ streamError: { afterEvents: 1, type } });
      const { events, error } = await iterateInvokeStream();
      expect(events).toBe(1);
      expect((error as Error).name).toBe(name);
    },
  );

  test("afterEvents 0 fails before the first event", async () => {
    await emulator.queue({ streamError: { afterEvents: 0, type: "throttlingException" } });
    const { events, error } = await iterateConverseStream();
    expect(events).toBe(0);
    expect(error).toBeInstanceOf(ThrottlingException);
  });
});

describe("authentication and routing", () => {
  test("a request with no credential is refused with 403 UnrecognizedClientException", async () => {
    const response = await fetch(`${emulator.url}/model/${encodeURIComponent(sonnet)}/converse`, {
      method: "POST",
      body: JSON.stringify({ messages: [userText("hi")] }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("x-amzn-errortype")).toStartWith("UnrecognizedClientException:");
  });

  test("an unknown route is 404 UnknownOperationException", async () => {
    const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/nonsense`, {});
    expect(response.status).toBe(404);
    expect(response.headers.get("x-amzn-errortype")).toStartWith("UnknownOperationException:");
  });

  test("a body that is not JSON is a ValidationException (and is still recorded)", async () => {
    const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/invoke`, "not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: "Malformed input request, please reformat your input and try again." });
    const [request] = await emulator.requests();
    expect(request?.body).toBe("not json");
  });
});
