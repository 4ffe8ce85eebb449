/** Deterministic record values of the crash test: the parent recomputes them to compare bytes. */
export function crashRecordValue(id: number): Buffer {
  const text = `value-${id}-`;
  return Buffer.from(text.repeat(1 + (id % 40)));
}
