// The shape a client's JSON (metadata, knowledge, constraints, resultSchema, customData) may have, checked in one
// iterative pass before any recursive code (zod's schemas, JSON Schema compilation, JSON.stringify) sees it: a value
// nested thousands of levels deep would otherwise overflow the stack and answer 500.

/** Deeper than any honest document; resultSchema's nesting of properties/items fits well within it. */
export const MAX_JSON_DEPTH = 32;

export interface JsonShapeProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The first problem in `value`: nesting past MAX_JSON_DEPTH, or an own "__proto__" key (JSON.parse makes one, zod's
 * records drop it silently and assignment would turn it into a prototype). Null when there is none.
 */
export function jsonShapeProblem(value: unknown, maxDepth: number = MAX_JSON_DEPTH): JsonShapeProblem | null {
  const stack: Array<{ value: unknown; path: (string | number)[] }> = [{ value, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value: current, path } = item;
    if (!current || typeof current !== 'object') continue;
    if (path.length >= maxDepth) return { path, message: `JSON must not be nested more than ${maxDepth} levels deep` };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(current);
    if (keys.includes('__proto__'))
      return { path: [...path, '__proto__'], message: 'the key "__proto__" is not allowed in JSON objects' };
    for (let i = keys.length - 1; i >= 0; i--)
      stack.push({ value: (current as Record<string, unknown>)[keys[i]!], path: [...path, keys[i]!] });
  }
  return null;
}
