import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../../src/anthropic/errors.ts";
import { assistant, convert, user } from "../support/convert.ts";

describe("toConverseRequest: messages", () => {
  test("string content and text blocks become text members", async () => {
    const { input } = await convert({ messages: [user("Hello"), assistant([{ type: "text", text: "Hi" }]), user([{ type: "text", text: "Bye" }])] });
    expect(input.messages).toEqual([
      { role: "user", content: [{ text: "Hello" }] },
      { role: "assistant", content: [{ text: "Hi" }] },
      { role: "user", content: [{ text: "Bye" }] },
    ]);
  });

  test("pitfall 2: blank and whitespace-only text blocks are dropped, with a debug note", async () => {
    const { input, notes } = await convert({
      messages: [user([{ type: "text", text: "" }, { type: "text", text: " \n\t" }, { type: "text", text: "real" }])],
    });
    expect(input.messages).toEqual([{ role: "user", content: [{ text: "real" }] }]);
    expect(notes.filter((note) => note.includes("blank text"))).toHaveLength(2);
  });

  test("pitfall 2: a message left empty is dropped, and its neighbours merged (never an empty content array)", async () => {
    const { input } = await convert({
      messages: [user("one"), assistant([{ type: "text", text: "  " }]), user("two"), assistant("answer")],
    });
    expect(input.messages).toEqual([
      { role: "user", content: [{ text: "one" }, { text: "two" }] },
      { role: "assistant", content: [{ text: "answer" }] },
    ]);
    for (const message of input.messages ?? []) expect(message.content?.length).toBeGreaterThan(0);
  });

  test("pitfall 3: consecutive same-role messages are merged in order", async () => {
    const { input } = await convert({
      messages: [user("a"), user([{ type: "text", text: "b" }]), assistant("c"), assistant("d"), user("e")],
    });
    expect(input.messages?.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(input.messages?.[0]?.content).toEqual([{ text: "a" }, { text: "b" }]);
    expect(input.messages?.[1]?.content).toEqual([{ text: "c" }, { text: "d" }]);
  });

  test("a conversation that would start with the assistant is a 400", async () => {
    const error = await convert({ messages: [assistant("I start"), user("then me")] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain('first message must use the "user" role');
  });

  test("a user turn emptied by dropping makes the conversation start with the assistant: 400", async () => {
    const error = await convert({ messages: [user(" "), assistant("x"), user("y")] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
  });

  test("a conversation with nothing to send is a 400", async () => {
    const error = await convert({ messages: [user("   ")] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("no content");
  });

  test("a final assistant prefill loses its trailing whitespace (Claude refuses it)", async () => {
    const { input } = await convert({ messages: [user("Say hi"), assistant([{ type: "text", text: "Sure: \n" }])] });
    expect(input.messages?.at(-1)).toEqual({ role: "assistant", content: [{ text: "Sure:" }] });
  });

  test("role system messages are folded by prepareRequest, as on InvokeModel: into the user turn around them", async () => {
    const { input } = await convert({
      system: "base",
      messages: [user("hi"), { role: "system", content: "mid-conversation note" }, assistant("ok"), user("go")],
    });
    expect(input.system).toEqual([{ text: "base" }]);
    expect(input.messages?.[0]).toEqual({ role: "user", content: [{ text: "hi" }, { text: "<system>\nmid-conversation note\n</system>" }] });
    expect(input.messages?.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
  });

  test("server-tool blocks in the history are refused with a 400 naming the model", async () => {
    const error = await convert({
      messages: [user("search"), assistant([{ type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] }]), user("thanks")],
    }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("`web_search_tool_result` content");
    expect((error as ApiError).message).toContain("is not supported for model claude-sonnet-4-5");
  });

  test("text citations of the history are sent as plain text", async () => {
    const { input } = await convert({
      messages: [user("q"), assistant([{ type: "text", text: "cited", citations: [{ type: "char_location", cited_text: "x" }] }]), user("ok")],
    });
    expect(input.messages?.[1]?.content).toEqual([{ text: "cited" }]);
  });
});
