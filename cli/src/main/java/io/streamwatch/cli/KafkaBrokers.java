package io.streamwatch.cli;

import picocli.CommandLine.Option;

/** The Kafka brokers a command talks to: the {@code --bootstrap-servers} mixin of every command that uses Kafka. */
public final class KafkaBrokers {
    public static final String DEFAULT = "localhost:9092";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", defaultValue = DEFAULT,
            description = "Kafka brokers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    public String bootstrapServers() {
        return bootstrapServers;
    }
}
