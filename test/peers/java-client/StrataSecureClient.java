// Kafka's Java client (kafka-clients 4.1.1) against a SASL / mTLS listener, for
// test/broker/security-clients.test.ts. Single-file source program:
//   java -cp 'harness/peers/kafka/lib/*' test/peers/java-client/StrataSecureClient.java CASE.properties...
// Each case file holds the client's properties (security.protocol, sasl.mechanism,
// sasl.jaas.config, ssl.*) and strata.topic, strata.group, strata.count. For each case, in one JVM:
// a default producer (acks=all, idempotent) sends strata.count records, then a group consumer reads
// them back. One JSON line per case on stdout: {"case":...,"produced":N,"consumed":N}, or
// {"case":...,"error":"ExceptionClass","message":...} with the first failure's root exception.
// A case with strata.delete.topic instead has an AdminClient delete that topic: {"case":...,"deleted":true}.
import java.io.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.serialization.*;

public class StrataSecureClient {
  public static void main(String[] args) throws Exception {
    for (String file : args) {
      Properties props = new Properties();
      try (Reader r = new FileReader(file)) {
        props.load(r);
      }
      String deleteTopic = (String) props.remove("strata.delete.topic");
      String topic = (String) props.remove("strata.topic");
      String group = (String) props.remove("strata.group");
      int count = Integer.parseInt((String) props.remove("strata.count"));
      String name = new File(file).getName();
      try {
        if (deleteTopic != null) {
          try (Admin admin = Admin.create(props)) {
            admin.deleteTopics(List.of(deleteTopic)).all().get(30, TimeUnit.SECONDS);
          }
          System.out.println("{\"case\":\"" + name + "\",\"deleted\":true}");
          continue;
        }
        int produced = produce(props, topic, count);
        int consumed = consume(props, topic, group, count);
        System.out.println("{\"case\":\"" + name + "\",\"produced\":" + produced + ",\"consumed\":" + consumed + "}");
      } catch (Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root != root.getCause()) root = root.getCause();
        String msg = String.valueOf(root.getMessage()).replace("\\", "\\\\").replace("\"", "'");
        System.out.println("{\"case\":\"" + name + "\",\"error\":\"" + root.getClass().getSimpleName() + "\",\"message\":\"" + msg + "\"}");
      }
    }
  }

  static int produce(Properties base, String topic, int count) throws Exception {
    Properties props = new Properties();
    props.putAll(base);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    try {
      // the metadata send() waits for: an authentication or authorization failure surfaces here
      // (a send() whose producer never authenticates would sit in the accumulator until close)
      producer.partitionsFor(topic);
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) sent.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
      producer.flush();
      for (Future<RecordMetadata> f : sent) f.get(30, TimeUnit.SECONDS);
      return sent.size();
    } finally {
      producer.close(Duration.ofSeconds(5));
    }
  }

  static int consume(Properties base, String topic, String group, int count) throws Exception {
    Properties props = new Properties();
    props.putAll(base);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      int got = 0;
      long deadline = System.currentTimeMillis() + 30_000;
      while (got < count && System.currentTimeMillis() < deadline) got += consumer.poll(Duration.ofMillis(500)).count();
      consumer.commitSync(Duration.ofSeconds(10));
      return got;
    }
  }
}
