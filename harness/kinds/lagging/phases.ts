/**
 * One repetition of the lagging-consumer workload on one server: a backlog written and dropped
 * from the page cache, then a steady producer at a fixed rate measured twice, alone and while a
 * lagging consumer reads the backlog from offset 0 over and over (its pages dropped before each
 * pass, so every pass reads the disk). What a cold read costs the producers is the difference.
 * KAFKA-7504 is this case in Kafka: a sendfile that waits for the disk inside a network thread.
 */
import { dropPages } from '../../os-probes.js';
import { cpuSeconds, diskReadBytes } from '../../proc.js';
import { kcatConsume, kcatProduce } from '../../clients/kcat.js';
import { producerPerformance, type ProducerPerfResult, type RecordFiles } from '../vs-kafka/clients.js';
import { ensureTopics, segmentFiles, type ServerUnderTest } from '../vs-kafka/servers.js';

export const BACKLOG_TOPIC = 'lag-backlog';
const STEADY_TOPICS = ['lag-steady-alone', 'lag-steady-lagging'] as const;

export interface LaggingSizes {
  /** The backlog the lagging consumer reads, MB (10^6 bytes). */
  backlogMb: number;
  /** The steady producer's rate, records/s. */
  ratePerSecond: number;
  /** How long each steady phase produces. */
  seconds: number;
  recordBytes: number;
}

/** The steady producer's figures of one phase (ProducerPerformance's, ms). */
export interface SteadyPhase {
  produceP50Ms: number;
  produceP99Ms: number;
  produceP999Ms: number;
  produceMaxMs: number;
  recordsPerSecond: number;
  serverCpuSeconds: number;
  /** Bytes the server made the disk read during the phase (/proc/PID/io read_bytes), MB. */
  serverDiskReadMb: number;
}

export interface LaggingSample {
  alone: SteadyPhase;
  lagging: SteadyPhase & {
    /** Whole passes over the backlog the lagging consumer finished while the producer ran (and after). */
    readerPasses: number;
    readerMbPerSec: number;
    /** Disk bytes the server read from the reader's start to its last pass's end, MB. */
    readerSpanDiskReadMb: number;
  };
  backlogBytes: number;
}

/** The backlog written once per server: records of recordBytes, acks=1, no compression. */
export async function writeBacklog(server: ServerUnderTest, files: RecordFiles, sizes: LaggingSizes): Promise<{ records: number; bytes: number; paths: string[] }> {
  const records = Math.max(1, Math.round((sizes.backlogMb * 1e6) / sizes.recordBytes));
  await ensureTopics(server.bootstrap, [BACKLOG_TOPIC, ...STEADY_TOPICS]);
  await kcatProduce({ bootstrap: server.bootstrap, topic: BACKLOG_TOPIC, file: files.get(records, sizes.recordBytes), codec: 'none', acks: 1 });
  const { paths, bytes } = segmentFiles(server.logDir, BACKLOG_TOPIC);
  return { records, bytes, paths };
}

async function steady(server: ServerUnderTest, files: RecordFiles, sizes: LaggingSizes, topic: string): Promise<{ perf: ProducerPerfResult; cpu: number; readMb: number }> {
  const records = Math.max(1, Math.round(sizes.ratePerSecond * sizes.seconds));
  const c0 = cpuSeconds(server.pid);
  const r0 = diskReadBytes(server.pid);
  const perf = await producerPerformance({ bootstrap: server.bootstrap, topic, records, payloadFile: files.payloadFile(sizes.recordBytes), acks: '1', codec: 'none', throughput: sizes.ratePerSecond });
  return { perf, cpu: cpuSeconds(server.pid) - c0, readMb: (diskReadBytes(server.pid) - r0) / 1e6 };
}

function phase(s: { perf: ProducerPerfResult; cpu: number; readMb: number }): SteadyPhase {
  return {
    produceP50Ms: s.perf.latencyMsP50,
    produceP99Ms: s.perf.latencyMsP99,
    produceP999Ms: s.perf.latencyMsP999,
    produceMaxMs: s.perf.latencyMsMax,
    recordsPerSecond: s.perf.recordsPerSecond,
    serverCpuSeconds: s.cpu,
    serverDiskReadMb: s.readMb,
  };
}

/**
 * The lagging consumer: kcat reads the whole backlog from offset 0, its pages dropped before each
 * pass, until told to stop (the pass under way finishes: kcat checks every record it counts).
 */
async function lagLoop(server: ServerUnderTest, backlog: { records: number; bytes: number; paths: string[] }, stop: { now: boolean }): Promise<{ passes: number; seconds: number }> {
  let passes = 0;
  let seconds = 0;
  while (!stop.now) {
    await dropPages(backlog.paths);
    seconds += await kcatConsume(server.bootstrap, BACKLOG_TOPIC, backlog.records);
    passes++;
  }
  return { passes, seconds };
}

/** Alone, then with the lagging consumer; each phase on a topic of its own. */
export async function laggingRepetition(server: ServerUnderTest, files: RecordFiles, sizes: LaggingSizes): Promise<LaggingSample> {
  const backlog = await writeBacklog(server, files, sizes);
  // written back once, so that dropping its pages later needs no sync during a measured phase
  await dropPages(backlog.paths);
  const alone = phase(await steady(server, files, sizes, STEADY_TOPICS[0]));
  const stop = { now: false };
  const read0 = diskReadBytes(server.pid);
  const reader = lagLoop(server, backlog, stop);
  let measured: { perf: ProducerPerfResult; cpu: number; readMb: number };
  try {
    measured = await steady(server, files, sizes, STEADY_TOPICS[1]);
  } finally {
    stop.now = true;
  }
  const lag = await reader;
  const readerSpanDiskReadMb = (diskReadBytes(server.pid) - read0) / 1e6;
  return {
    alone,
    lagging: {
      ...phase(measured),
      readerPasses: lag.passes,
      readerMbPerSec: lag.seconds > 0 ? (lag.passes * backlog.bytes) / 1e6 / lag.seconds : 0,
      readerSpanDiskReadMb,
    },
    backlogBytes: backlog.bytes,
  };
}
