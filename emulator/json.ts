/** Marks text that is not JSON, so callers can tell it from a JSON `null`. */
export const notJson: unique symbol = Symbol("not JSON");

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return notJson;
  }
}

export const malformedRequest = "Malformed input request, please reformat your input and try again.";
