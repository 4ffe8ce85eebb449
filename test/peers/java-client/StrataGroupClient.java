// Kafka's Java client (kafka-clients 4.1.1) in consumer groups against a broker, for
// test/peers/java-client/java-groups.test.ts. Run as a single-file source program:
//   java -cp 'harness/peers/kafka/lib/*' test/peers/java-client/StrataGroupClient.java MODE BOOTSTRAP ARGS...
// Modes print one JSON object per line on stdout (what the test checks); errors go to stderr and
// exit 1.
//   member BOOTSTRAP TOPIC GROUP PARTITIONS MAX_POLL_RECORDS PAUSE_MS
//       a classic-protocol group member (session.timeout.ms 6000, auto commit off) that prints
//       each record {"p","o"}, commits synchronously after each poll ({"committed":{p:next}}),
//       prints its assignments, pauses PAUSE_MS between polls, and exits 0 once it holds all
//       PARTITIONS partitions and has read each to its end; any client error exits 1.
//   admin-groups BOOTSTRAP TOPIC GROUP
//       the AdminClient's group calls around one consumer of GROUP on TOPIC (partition 0 holds
//       records): listGroups, listConsumerGroups, describeConsumerGroups (and of a group that does
//       not exist), deleteConsumerGroupOffsets and deleteConsumerGroups while the consumer is in the
//       group and after it left; prints one {"step":...} line per call.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.serialization.*;

public class StrataGroupClient {
  public static void main(String[] args) throws Exception {
    String mode = args[0], bootstrap = args[1];
    switch (mode) {
      case "admin-groups" -> adminGroups(bootstrap, args[2], args[3]);
      case "member" -> member(bootstrap, args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]));
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static String partitions(Collection<TopicPartition> tps) {
    List<Integer> ps = new ArrayList<>();
    for (TopicPartition tp : tps) ps.add(tp.partition());
    Collections.sort(ps);
    return ps.toString().replace(" ", "");
  }

  /** A classic-protocol group member from the earliest offset that commits only when told. */
  static Properties consumerProps(String bootstrap, String group) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return props;
  }

  static void member(String bootstrap, String topic, String group, int partitions, int maxPollRecords, int pauseMs) throws Exception {
    Properties props = consumerProps(bootstrap, group);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(maxPollRecords));
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
          System.out.println("{\"revoked\":" + partitions(revoked) + "}");
        }
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
          System.out.println("{\"assigned\":" + partitions(assigned) + "}");
        }
      });
      long deadline = System.currentTimeMillis() + 120_000;
      int received = 0;
      while (true) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("not done after 120 s: received " + received + ", assignment " + consumer.assignment());
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, String> r : records) {
          received++;
          System.out.println("{\"p\":" + r.partition() + ",\"o\":" + r.offset() + "}");
          next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        if (!next.isEmpty()) {
          consumer.commitSync(next);
          StringBuilder sb = new StringBuilder();
          for (var e : next.entrySet()) sb.append(sb.length() == 0 ? "" : ",").append("\"").append(e.getKey().partition()).append("\":").append(e.getValue().offset());
          System.out.println("{\"committed\":{" + sb + "}}");
        }
        Set<TopicPartition> assignment = consumer.assignment();
        if (assignment.size() == partitions) {
          Map<TopicPartition, Long> ends = consumer.endOffsets(assignment);
          boolean atEnd = true;
          for (TopicPartition tp : assignment) atEnd &= consumer.position(tp) >= ends.get(tp);
          if (atEnd) break;
        }
        if (pauseMs > 0) Thread.sleep(pauseMs);
      }
      System.out.println("{\"done\":true,\"received\":" + received + "}");
    }
  }

  static String q(Object s) {
    return s == null ? "null" : "\"" + s.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** The cause's simple class name of a failed future, or "ok". */
  static String outcome(KafkaFuture<?> f) throws InterruptedException {
    try {
      f.get(30, TimeUnit.SECONDS);
      return "ok";
    } catch (ExecutionException e) {
      return e.getCause().getClass().getSimpleName();
    } catch (TimeoutException e) {
      return "timeout";
    }
  }

  static void step(String name, String json) {
    System.out.println("{\"step\":" + q(name) + "," + json + "}");
  }

  static String describe(Admin admin, String group) throws Exception {
    KafkaFuture<ConsumerGroupDescription> f = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group);
    String o = outcome(f);
    if (!o.equals("ok")) return "\"error\":" + q(o);
    ConsumerGroupDescription d = f.get();
    StringBuilder members = new StringBuilder();
    for (MemberDescription m : d.members()) {
      members.append(members.length() == 0 ? "" : ",").append("{\"clientId\":").append(q(m.clientId())).append(",\"host\":").append(q(m.host()))
        .append(",\"assigned\":").append(partitions(m.assignment().topicPartitions())).append("}");
    }
    return "\"state\":" + q(d.groupState()) + ",\"simple\":" + d.isSimpleConsumerGroup() + ",\"assignor\":" + q(d.partitionAssignor())
      + ",\"type\":" + q(d.type()) + ",\"coordinator\":" + d.coordinator().id() + ",\"members\":[" + members + "]";
  }

  static String listed(Admin admin, String group) throws Exception {
    for (GroupListing g : admin.listGroups().all().get(30, TimeUnit.SECONDS)) {
      if (g.groupId().equals(group)) {
        return "\"listed\":true,\"type\":" + q(g.type().orElse(null)) + ",\"protocol\":" + q(g.protocol()) + ",\"state\":" + q(g.groupState().orElse(null));
      }
    }
    return "\"listed\":false";
  }

  @SuppressWarnings("deprecation")
  static String listedAsConsumerGroup(Admin admin, String group) throws Exception {
    for (ConsumerGroupListing g : admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS)) {
      if (g.groupId().equals(group)) return "\"listed\":true,\"state\":" + q(g.groupState().orElse(null)) + ",\"simple\":" + g.isSimpleConsumerGroup();
    }
    return "\"listed\":false";
  }

  static void adminGroups(String bootstrap, String topic, String group) throws Exception {
    Properties props = consumerProps(bootstrap, group);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "admin-groups-consumer");
    TopicPartition p0 = new TopicPartition(topic, 0);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      int received = 0;
      while (received == 0) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("no record within 60 s");
        received += consumer.poll(Duration.ofMillis(200)).count();
      }
      consumer.commitSync();
      step("consuming", "\"received\":" + received);
      step("listGroups", listed(admin, group));
      step("listConsumerGroups", listedAsConsumerGroup(admin, group));
      step("describe", describe(admin, group));
      step("describeMissing", describe(admin, "no-such-group"));
      step("deleteOffsetsWhileSubscribed", "\"result\":" + q(outcome(admin.deleteConsumerGroupOffsets(group, Set.of(p0)).partitionResult(p0))));
      step("deleteGroupWhileActive", "\"result\":" + q(outcome(admin.deleteConsumerGroups(List.of(group)).all())));
      consumer.close();
      step("describeAfterLeave", describe(admin, group));
      step("committedBefore", "\"partitions\":" + partitions(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).keySet()));
      step("deleteOffsets", "\"result\":" + q(outcome(admin.deleteConsumerGroupOffsets(group, Set.of(p0)).partitionResult(p0))));
      step("committedAfter", "\"partitions\":" + partitions(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).keySet()));
      step("deleteGroup", "\"result\":" + q(outcome(admin.deleteConsumerGroups(List.of(group)).all())));
      step("listAfterDelete", listed(admin, group));
      step("deleteMissingGroup", "\"result\":" + q(outcome(admin.deleteConsumerGroups(List.of("no-such-group")).all())));
    }
  }
}
