import { describe, expect, test } from "bun:test";
import { countTokens as claude2Tokens } from "@anthropic-ai/tokenizer";
import { encode as o200kEncode } from "gpt-tokenizer/encoding/o200k_base";
import { estimateInputTokens } from "../../src/anthropic/estimate.ts";

/**
 * The local estimate against real tokenizers. No tokenizer of Claude 3 or later is published, so two
 * BPE vocabularies stand in, one each side of today's models: Claude 2's (`@anthropic-ai/tokenizer`,
 * dense on scripts other than Latin) and OpenAI's o200k (`gpt-tokenizer`, trained for many scripts,
 * sparse). On Greek, Devanagari and Thai they are 3× apart, so the estimate is held within 2× of their
 * geometric mean, on every sample: close enough for a reservation, and never the 3-4× under-count
 * that a Latin characters-per-token ratio gives CJK. The tokenizers are test-only dependencies.
 */

const samples: Record<string, string> = {
  english: "The quick brown fox jumps over the lazy dog. Rate limits are token buckets, refilled continuously, as Anthropic's are.",
  code: "export function add(a: number, b: number): number {\n  return a + b;\n}\nconst xs = [1, 2, 3].map((x) => x * 2);",
  chinese: "我们的代理把请求转发到亚马逊云服务，并记录每个请求的用量和费用。今天天气很好。",
  japanese: "東京の天気は晴れです。私たちはプロキシを使ってリクエストを転送します。ありがとうございました。",
  korean: "안녕하세요. 우리는 프록시를 사용하여 요청을 전달하고 각 요청의 사용량을 기록합니다.",
  russian: "Быстрая коричневая лиса прыгает через ленивую собаку. Мы записываем использование каждого запроса.",
  greek: "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο. Καταγράφουμε τη χρήση κάθε αιτήματος.",
  arabic: "الثعلب البني السريع يقفز فوق الكلب الكسول. نحن نسجل استخدام كل طلب وتكلفته.",
  hebrew: "השועל החום המהיר קופץ מעל הכלב העצלן. אנחנו רושמים את השימוש בכל בקשה.",
  hindi: "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है। हम हर अनुरोध का उपयोग दर्ज करते हैं।",
  thai: "สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ เราบันทึกการใช้งานของทุกคำขอ",
  emoji: "🎉🚀👍😀🔥❤️👨‍👩‍👧‍👦🇯🇵✅🙏",
};

const factor = 2;
/** What one user message costs beyond its text (role and framing). */
const framing = 4;
const estimateText = (text: string) => estimateInputTokens({ model: "m", messages: [{ role: "user", content: text }] }) - framing;

describe("token estimate", () => {
  for (const [name, text] of Object.entries(samples)) {
    test(`${name}: within ${factor}× of the geometric mean of Claude 2's and o200k's counts`, () => {
      const claude2 = claude2Tokens(text);
      const o200k = o200kEncode(text).length;
      const reference = Math.sqrt(claude2 * o200k);
      const estimate = estimateText(text);
      expect({ claude2, o200k, estimate, within: estimate >= reference / factor && estimate <= reference * factor }).toEqual({ claude2, o200k, estimate, within: true });
    });
  }

  test("8 Chinese characters in one message count as 8 tokens and the message's framing, not 6", () => {
    expect(estimateInputTokens({ model: "m", messages: [{ role: "user", content: "你好世界我爱中文" }] })).toBe(8 + framing);
  });

  test("ASCII keeps its 4 characters a token", () => {
    expect(estimateInputTokens({ model: "m", messages: [{ role: "user", content: "a".repeat(400) }] })).toBe(100 + framing);
  });
});
