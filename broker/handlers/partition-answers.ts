/**
 * The per-partition loop of requests that answer each partition they name on its own (ListOffsets,
 * DeleteRecords): one answer per partition, in the request's order, and an error of one partition
 * (Kafka's error code for what it threw) never keeps the others from their answers.
 */
import { kafkaErrorCode } from './errors.js';

/**
 * Each requested partition's answer: `blank(p)`, then filled in by `answer`; what `answer` throws
 * becomes the answer's errorCode.
 */
export async function answerPartitions<P, R extends { errorCode: number }>(
  topics: readonly { name: string; partitions: readonly P[] }[],
  blank: (p: P) => R,
  answer: (topic: string, p: P, out: R) => Promise<void>,
): Promise<{ name: string; partitions: R[] }[]> {
  const answered: { name: string; partitions: R[] }[] = [];
  for (const t of topics) {
    const partitions: R[] = [];
    for (const p of t.partitions) {
      const out = blank(p);
      partitions.push(out);
      try {
        await answer(t.name, p, out);
      } catch (err) {
        out.errorCode = kafkaErrorCode(err);
      }
    }
    answered.push({ name: t.name, partitions });
  }
  return answered;
}
