// Writes a producer-state snapshot with Kafka's own code (ProducerStateManager.writeSnapshot,
// kafka-storage 4.1.1), for test/peers/java-client/java-client.test.ts to read with strata:
//   java -cp 'harness/peers/kafka/lib/*' test/peers/java-client/KafkaSnapshot.java PATH
import java.io.File;
import java.util.*;
import org.apache.kafka.storage.internals.log.*;

public class KafkaSnapshot {
  public static void main(String[] args) throws Exception {
    Map<Long, ProducerStateEntry> entries = new TreeMap<>();
    // producer 5001, epoch 2: its last batch had sequences 10-14 at offsets 96-100
    entries.put(5001L, new ProducerStateEntry(5001L, (short) 2, -1, 1700000000000L, OptionalLong.empty(), Optional.of(new BatchMetadata(14, 100L, 4, 1700000000000L))));
    // producer 5002: an open transaction from offset 90, coordinator epoch 7, no data batch retained
    entries.put(5002L, new ProducerStateEntry(5002L, (short) 0, 7, 1700000000001L, OptionalLong.of(90L), Optional.empty()));
    ProducerStateManager.writeSnapshot(new File(args[0]), entries, true);
  }
}
