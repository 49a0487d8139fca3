package io.streamwatch.jobs.visits;

import io.streamwatch.cli.CommandFailure;
import io.streamwatch.cli.KafkaBrokers;
import io.streamwatch.rules.KafkaTopics;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where the visits topic is; a picocli mixin of the generator and the synchronizer, checked before Spark starts. */
public final class VisitsTopic {
    public static final String DEFAULT = "visits";

    @Mixin
    KafkaBrokers brokers = new KafkaBrokers();

    @Option(names = "--topic", defaultValue = DEFAULT, description = "Topic of the visits (default: ${DEFAULT-VALUE}).")
    String topic;

    public String bootstrapServers() {
        return brokers.bootstrapServers();
    }

    public String topic() {
        return topic;
    }

    /** Fails with one line unless the topic name is legal. */
    public void requireLegalName() {
        KafkaTopics.requireLegal("--topic", topic);
    }

    /** Fails with one line, within seconds, unless the brokers answer; returns the topics they hold. */
    public Set<String> requireReachable() {
        requireLegalName();
        return KafkaTopics.requireReachable(brokers.bootstrapServers());
    }

    /** Fails with one line unless the brokers answer and hold the topic. */
    public void requireExists() {
        if (!requireReachable().contains(topic)) {
            throw new CommandFailure("topic " + topic + " does not exist at " + brokers.bootstrapServers());
        }
    }
}
