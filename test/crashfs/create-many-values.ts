/** The record the create-many writer appends to each partition, and the test expects back. */
export function createManyValue(topic: string, partition: number): Buffer {
  return Buffer.from(`${topic}-${partition}: ${'v'.repeat(partition % 97)}`);
}
