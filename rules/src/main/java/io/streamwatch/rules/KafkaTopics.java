package io.streamwatch.rules;

import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.CommandFailure;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the topics streamwatch's rules and sources need when they are missing: the {@code rules} topic
 * compacted with 3 partitions, the {@code metrics} topic with 20.
 */
public final class KafkaTopics {
    public static final String RULES = "rules";
    public static final String METRICS = "metrics";
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    public static final int RULES_PARTITIONS = 3;
    public static final int METRICS_PARTITIONS = 20;
    private static final int TIMEOUT_SECONDS = 15;
    private static final int REACH_SECONDS = 10;

    private KafkaTopics() {
    }

    /** Whether Kafka accepts this as a topic name. */
    public static boolean isLegal(String topic) {
        return topic != null && LEGAL_NAME.matcher(topic).matches() && !topic.equals(".") && !topic.equals("..");
    }

    /** Fails as a bad flag unless Kafka accepts this as a topic name. */
    public static void requireLegal(String flag, String topic) {
        if (!isLegal(topic)) {
            throw new BadFlagValue(flag + ": '" + topic + "' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
        }
    }

    /** Fails with one line, within {@value #REACH_SECONDS} s, unless the brokers answer; returns the topics they hold. */
    public static Set<String> requireReachable(String bootstrapServers) {
        try (Admin admin = admin(bootstrapServers, REACH_SECONDS)) {
            return admin.listTopics().names().get(REACH_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new CommandFailure("cannot reach Kafka at " + bootstrapServers + " within " + REACH_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while reaching Kafka at " + bootstrapServers);
        } catch (KafkaException e) {
            throw new CommandFailure("cannot use Kafka at " + bootstrapServers + ": " + e.getMessage());
        }
    }

    private static Admin admin(String bootstrapServers, int timeoutSeconds) {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutSeconds * 1000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutSeconds * 1000));
    }

    /** Creates the compacted rules topic unless it exists; fails with one line when Kafka cannot be reached. */
    public static void ensureRules(String bootstrapServers, String topic) {
        ensure(bootstrapServers, new NewTopic(topic, Optional.of(RULES_PARTITIONS), Optional.empty())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    }

    public static void ensureMetrics(String bootstrapServers, String topic) {
        ensure(bootstrapServers, new NewTopic(topic, Optional.of(METRICS_PARTITIONS), Optional.empty()));
    }

    /** Creates the topic unless it exists, and waits until its partitions have leaders. */
    public static void ensure(String bootstrapServers, NewTopic topic) {
        try (Admin admin = admin(bootstrapServers, TIMEOUT_SECONDS)) {
            if (admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).contains(topic.name())) {
                return;
            }
            try {
                admin.createTopics(List.of(topic)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            awaitLeaders(admin, topic.name());
        } catch (TimeoutException | ExecutionException e) {
            throw new IllegalStateException("cannot reach Kafka at " + bootstrapServers + " to create topic " + topic.name()
                    + " within " + TIMEOUT_SECONDS + " s" + (e.getCause() == null ? "" : ": " + e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic.name());
        }
    }

    /** A new topic's partitions get their leaders a moment after it is created; producing earlier meets errors. */
    private static void awaitLeaders(Admin admin, String topic) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                boolean led = admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .get(topic).partitions().stream().allMatch(partition -> partition.leader() != null);
                if (led) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("no leaders for " + topic);
            }
            Thread.sleep(50);
        }
    }
}
