// Kafka's Java client (kafka-clients 4.1.1) against a broker, with its defaults, for the tests in
// test/peers/java-client/java-client.test.ts. Run as a single-file source program:
//   java -cp 'harness/peers/kafka/lib/*' test/peers/java-client/StrataJavaClient.java MODE BOOTSTRAP ARGS...
// Modes print one JSON object per line on stdout (what the test checks); errors go to stderr and
// exit 1.
//   admin BOOTSTRAP TOPIC PARTITIONS     createTopics, describeTopics, listOffsets (earliest, latest)
//   produce BOOTSTRAP TOPIC COUNT [CODEC] a producer with default settings (acks=all, idempotence on)
//   consume BOOTSTRAP TOPIC GROUP COUNT  a classic-protocol group consumer, commitSync at the end
//   versions -                           the request versions this client can send, per API key
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.serialization.*;

public class StrataJavaClient {
  public static void main(String[] args) throws Exception {
    String mode = args[0], bootstrap = args[1];
    switch (mode) {
      case "admin" -> admin(bootstrap, args[2], Integer.parseInt(args[3]));
      case "produce" -> produce(bootstrap, args[2], Integer.parseInt(args[3]), args.length > 4 ? args[4] : null);
      case "consume" -> consume(bootstrap, args[2], args[3], Integer.parseInt(args[4]));
      case "versions" -> versions();
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static void versions() {
    for (org.apache.kafka.common.protocol.ApiKeys k : org.apache.kafka.common.protocol.ApiKeys.values()) {
      if (k.latestVersion() < k.oldestVersion()) continue; // removed APIs (LeaderAndIsr ...)
      System.out.println("{\"apiKey\":" + k.id + ",\"name\":\"" + k.name + "\",\"min\":" + k.oldestVersion() + ",\"max\":" + k.latestVersion() + "}");
    }
  }

  static void admin(String bootstrap, String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
      StringBuilder leaders = new StringBuilder();
      for (TopicPartitionInfo p : d.partitions()) leaders.append(leaders.length() == 0 ? "" : ",").append(p.leader().id());
      System.out.println("{\"described\":\"" + d.name() + "\",\"partitions\":" + d.partitions().size() + ",\"leaders\":[" + leaders + "]}");
      try {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        System.out.println("{\"again\":\"" + e.getCause().getClass().getSimpleName() + "\"}");
      }
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>(), latest = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      printOffsets("earliest", admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS));
      printOffsets("latest", admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS));
    }
  }

  static void printOffsets(String spec, Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result) {
    StringBuilder sb = new StringBuilder();
    for (int p = 0; p < result.size(); p++) {
      ListOffsetsResult.ListOffsetsResultInfo info = null;
      for (var e : result.entrySet()) if (e.getKey().partition() == p) info = e.getValue();
      sb.append(p == 0 ? "" : ",").append(info.offset());
    }
    System.out.println("{\"" + spec + "\":[" + sb + "]}");
  }

  static void produce(String bootstrap, String topic, int count, String codec) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    if (codec != null) props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) sent.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
      producer.flush();
      Map<Integer, Long> lastOffset = new TreeMap<>();
      for (Future<RecordMetadata> f : sent) {
        RecordMetadata m = f.get(60, TimeUnit.SECONDS);
        lastOffset.merge(m.partition(), m.offset(), Math::max);
      }
      System.out.println("{\"acked\":" + sent.size() + ",\"lastOffsets\":" + lastOffset.toString().replace('=', ':').replaceAll("(\\d+):", "\"$1\":") + "}");
    }
  }

  static void consume(String bootstrap, String topic, String group, int count) throws Exception {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      Set<String> values = new HashSet<>();
      int received = 0;
      long deadline = System.currentTimeMillis() + 60_000;
      while (received < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          received++;
          if (!r.value().equals("v" + r.key().substring(1))) throw new IllegalStateException("key " + r.key() + " has value " + r.value());
          values.add(r.value());
        }
      }
      consumer.commitSync();
      System.out.println("{\"received\":" + received + ",\"distinct\":" + values.size() + ",\"assigned\":" + consumer.assignment().size() + "}");
    }
  }
}
