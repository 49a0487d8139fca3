package io.streamwatch.rules.api;

import io.streamwatch.cli.KafkaBrokers;
import io.streamwatch.cli.BadFlagValue;
import io.streamwatch.cli.Cli;
import io.streamwatch.rules.KafkaTopics;
import io.streamwatch.rules.WebhookPrefixes;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The rules service: the HTTP API (and page) to create, change, list and delete threshold rules, stored in the
 * compacted {@code rules} topic. Several instances may run side by side; each keeps its own view of the topic.
 */
@Command(name = "RulesService", mixinStandardHelpOptions = true,
        description = "Serves the rules API and page over the compacted rules topic. Writes need "
                + "Authorization: Bearer <token>, the token from " + ApiToken.ENVIRONMENT_VARIABLE + " or --token-file.")
public final class RulesService implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RulesService.class);

    @Option(names = "--port", defaultValue = "8090", description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Mixin
    KafkaBrokers brokers = new KafkaBrokers();

    @Option(names = "--topic", defaultValue = KafkaTopics.RULES, description = "The compacted rules topic, created when missing (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--allowed-webhook-prefixes", paramLabel = "URL[,URL...]", defaultValue = WebhookPrefixes.DEFAULT,
            description = "Where alarms may be sent: a rule's discord_webhook_url must start with one of these (default: Discord's webhook URLs).")
    String allowedWebhookPrefixes;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the API token (else " + ApiToken.ENVIRONMENT_VARIABLE + ").")
    Path tokenFile;

    @Option(names = "--no-auth", description = "Serve writes without a token (local experiments only).")
    boolean noAuth;

    public static void main(String[] args) {
        Cli.main(new RulesService(), args);
    }

    @Override
    public Integer call() throws Exception {
        RulesApi.Settings settings = settings(System.getenv(ApiToken.ENVIRONMENT_VARIABLE));
        CountDownLatch stopped = new CountDownLatch(1);
        RulesApi api = RulesApi.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping the rules API");
            api.close();
            stopped.countDown();
        }, "streamwatch-rules-stop"));
        stopped.await();
        return 0;
    }

    RulesApi.Settings settings(String environmentToken) {
        if (port < 0 || port > 65535) {
            throw new BadFlagValue("--port must be between 0 and 65535, was " + port);
        }
        KafkaTopics.requireLegal("--topic", topic);
        WebhookPrefixes allowed;
        try {
            allowed = WebhookPrefixes.parse(allowedWebhookPrefixes);
        } catch (IllegalArgumentException e) {
            throw new BadFlagValue("--allowed-webhook-prefixes: " + e.getMessage());
        }
        Optional<ApiToken> token = ApiToken.load(tokenFile, environmentToken);
        if (token.isEmpty() && !noAuth) {
            throw new BadFlagValue("no API token: set " + ApiToken.ENVIRONMENT_VARIABLE + " or --token-file (or --no-auth to serve writes to anyone)");
        }
        if (token.isPresent() && noAuth) {
            throw new BadFlagValue("--no-auth contradicts the API token given");
        }
        return new RulesApi.Settings(host, port, brokers.bootstrapServers(), topic, allowed, token);
    }
}
