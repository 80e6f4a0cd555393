import { expect, test } from "bun:test";
import { countRejections } from "../../src/observability/count-rejections.ts";
import { LabelCap, overflowValue } from "../../src/observability/label-cap.ts";
import { createStore } from "../../src/store/create-store.ts";

test("a label keeps its first values up to the cap, then reads `other`; each label has its own count", () => {
  const cap = new LabelCap(2);
  expect(["a", "b", "c", "a", "d", "b"].map((v) => cap.value("key", v))).toEqual(["a", "b", overflowValue, "a", overflowValue, "b"]);
  expect(cap.value("model", "m")).toBe("m");
});

test("store calls that reject are counted by method, and the caller still gets the rejection", async () => {
  const failed: string[] = [];
  const store = countRejections(await createStore({ kind: "sqlite", path: ":memory:" }), (method) => failed.push(method));
  expect(await store.listKeys({})).toEqual([]);
  await store.close();
  await expect(store.listKeys({})).rejects.toThrow();
  expect(failed).toEqual(["listKeys"]);
});
