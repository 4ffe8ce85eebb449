// Kafka's Java AdminClient and producer (kafka-clients 4.1.1, default settings) making the admin
// calls of test/peers/java-client/java-admin.test.ts against a broker, one after another. Run as a
// single-file source program:
//   java -cp 'harness/peers/kafka/lib/*' test/peers/java-client/JavaAdminCalls.java BOOTSTRAP PREFIX
// Prints one JSON object per step on stdout; an exception a step expects is printed by its class
// name, anything else exits 1.
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;

public class JavaAdminCalls {
  static final long YEAR_MS = 365L * 24 * 3600 * 1000;

  static void out(String json) {
    System.out.println(json);
  }

  static String failure(Future<?> f) throws InterruptedException, TimeoutException {
    try {
      f.get(30, TimeUnit.SECONDS);
      return "none";
    } catch (ExecutionException e) {
      return e.getCause().getClass().getSimpleName();
    }
  }

  static <T> T get(KafkaFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1] + "-main", stamped = args[1] + "-stamped";
    TopicPartition tp0 = new TopicPartition(topic, 0);
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        Producer<String, String> producer = new KafkaProducer<>(pp)) {
      get(admin.createTopics(List.of(
          new NewTopic(topic, 1, (short) 1).configs(Map.of("retention.ms", "123456")),
          new NewTopic(stamped, 1, (short) 1).configs(Map.of("message.timestamp.type", "LogAppendTime")))).all());

      // ten records, the sixth (offset 5) with the newest timestamp
      long t0 = System.currentTimeMillis() - 60_000;
      for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, t0 + (i == 5 ? 5_000 : i * 10), null, "v" + i)).get();
      var max = get(admin.listOffsets(Map.of(tp0, OffsetSpec.maxTimestamp())).all()).get(tp0);
      out("{\"maxTimestamp\":{\"offset\":" + max.offset() + ",\"timestamp\":" + (max.timestamp() - t0) + "}}");

      ConfigResource topicRes = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      ConfigResource brokerRes = new ConfigResource(ConfigResource.Type.BROKER, "0");
      var configs = get(admin.describeConfigs(List.of(topicRes, brokerRes), new DescribeConfigsOptions().includeSynonyms(true)).all());
      ConfigEntry retention = configs.get(topicRes).get("retention.ms"), cleanup = configs.get(topicRes).get("cleanup.policy");
      StringBuilder syn = new StringBuilder();
      for (ConfigEntry.ConfigSynonym s : retention.synonyms()) syn.append(syn.length() == 0 ? "" : ",").append("\"").append(s.name()).append("=").append(s.value()).append(" ").append(s.source()).append("\"");
      out("{\"retention\":{\"value\":\"" + retention.value() + "\",\"source\":\"" + retention.source() + "\",\"synonyms\":[" + syn + "]},\"cleanup\":{\"value\":\"" + cleanup.value() + "\",\"source\":\"" + cleanup.source() + "\",\"type\":\"" + cleanup.type() + "\"},\"brokerNumPartitions\":\"" + configs.get(brokerRes).get("num.partitions").value() + "\"}");
      out("{\"unknownTopicConfigs\":\"" + failure(admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "no-such-topic"))).all()) + "\"}");

      // incrementalAlterConfigs: SET then read back, DELETE back to the default, APPEND on a non-list key refused
      get(admin.incrementalAlterConfigs(Map.of(topicRes, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "99999"), AlterConfigOp.OpType.SET), new AlterConfigOp(new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET)))).all());
      Config altered = get(admin.describeConfigs(List.of(topicRes)).all()).get(topicRes);
      get(admin.incrementalAlterConfigs(Map.of(topicRes, List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE)))).all());
      Config reverted = get(admin.describeConfigs(List.of(topicRes)).all()).get(topicRes);
      String append = failure(admin.incrementalAlterConfigs(Map.of(topicRes, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1"), AlterConfigOp.OpType.APPEND)))).all());
      String unknownKey = failure(admin.incrementalAlterConfigs(Map.of(topicRes, List.of(new AlterConfigOp(new ConfigEntry("no.such.key", "1"), AlterConfigOp.OpType.SET)))).all());
      String brokerAlter = failure(admin.incrementalAlterConfigs(Map.of(brokerRes, List.of(new AlterConfigOp(new ConfigEntry("num.partitions", "3"), AlterConfigOp.OpType.SET)))).all());
      out("{\"altered\":{\"retention\":\"" + altered.get("retention.ms").value() + " " + altered.get("retention.ms").source() + "\",\"maxMessageBytes\":\"" + altered.get("max.message.bytes").value() + "\"},\"reverted\":{\"retention\":\"" + reverted.get("retention.ms").value() + "\",\"maxMessageBytes\":\"" + reverted.get("max.message.bytes").value() + " " + reverted.get("max.message.bytes").source() + "\"},\"append\":\"" + append + "\",\"unknownKey\":\"" + unknownKey + "\",\"brokerAlter\":\"" + brokerAlter + "\"}");

      get(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all());
      int partitions = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size();
      out("{\"partitions\":" + partitions + ",\"decrease\":\"" + failure(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all()) + "\",\"unknown\":\"" + failure(admin.createPartitions(Map.of("no-such-topic", NewPartitions.increaseTo(2))).all()) + "\"}");

      long low = get(admin.deleteRecords(Map.of(tp0, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp0)).lowWatermark();
      String past = failure(admin.deleteRecords(Map.of(tp0, RecordsToDelete.beforeOffset(100))).all());
      long earliest = get(admin.listOffsets(Map.of(tp0, OffsetSpec.earliest())).all()).get(tp0).offset();
      long earliestLocal = get(admin.listOffsets(Map.of(tp0, OffsetSpec.earliestLocal())).all()).get(tp0).offset();
      out("{\"lowWatermark\":" + low + ",\"past\":\"" + past + "\",\"earliest\":" + earliest + ",\"earliestLocal\":" + earliestLocal + "}");

      String future = failure(producer.send(new ProducerRecord<>(topic, 0, System.currentTimeMillis() + 50 * YEAR_MS, null, "late")));
      long before = System.currentTimeMillis();
      RecordMetadata m = producer.send(new ProducerRecord<>(stamped, 0, 1000L, null, "stamped")).get();
      out("{\"future\":\"" + future + "\",\"logAppendTimeOk\":" + (m.timestamp() >= before && m.timestamp() <= System.currentTimeMillis()) + "}");

      get(admin.deleteTopics(List.of(topic)).all());
      String unknown = failure(admin.deleteTopics(List.of("no-such-topic")).all());
      boolean listed = get(admin.listTopics().names()).contains(topic);
      out("{\"deletedListed\":" + listed + ",\"deleteUnknown\":\"" + unknown + "\"}");
    }
  }
}
