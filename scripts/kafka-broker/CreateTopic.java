// Used only by `scripts/kafka create-topic`: creates a topic through the broker's admin API with
// kafka-clients' Admin, which is on the broker's classpath already (Maven's kafka_2.13 does not
// bring the distribution's kafka-topics.sh tool). Run as a single source file, no build step:
//   java -cp CLASSPATH CreateTopic.java BOOTSTRAP NAME PARTITIONS
// Replication factor: the broker's default. Exit 0 when the topic was created or already
// existed (whatever its partition count), after the broker's metadata shows it; 1 on any error;
// 2 on bad arguments. One line on stdout says which.
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

public class CreateTopic {
  private static final long TIMEOUT_MS = 30_000;

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3 || !args[2].matches("[1-9][0-9]*")) {
      System.err.println("usage: CreateTopic BOOTSTRAP NAME PARTITIONS (PARTITIONS >= 1)");
      System.exit(2);
    }
    String bootstrap = args[0];
    String name = args[1];
    int partitions = Integer.parseInt(args[2]);
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(TIMEOUT_MS));
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(TIMEOUT_MS));
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    try (Admin admin = Admin.create(properties)) {
      String outcome = "created";
      try {
        NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty());
        admin.createTopics(List.of(topic)).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
        outcome = "already existed";
      }
      // The controller has it; wait until the broker's metadata does, for the producers next.
      while (true) {
        try {
          TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
              .get(TIMEOUT_MS, TimeUnit.MILLISECONDS).get(name);
          System.out.printf("topic %s %s (%d partitions)%n", name, outcome,
              description.partitions().size());
          return;
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
              || System.currentTimeMillis() > deadline) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      System.out.printf("topic %s: %s: %s%n", name, cause.getClass().getSimpleName(),
          cause.getMessage());
      System.exit(1);
    }
  }
}
