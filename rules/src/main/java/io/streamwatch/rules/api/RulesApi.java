package io.streamwatch.rules.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.streamwatch.rules.KafkaTopics;
import io.streamwatch.rules.Rule;
import io.streamwatch.rules.RuleJson;
import io.streamwatch.rules.RulesView;
import io.streamwatch.rules.WebhookPrefixes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules API over the compacted {@code rules} topic: writes are published (key = rule id, value = the rule, a
 * tombstone for a delete) and answered once this instance's own view has applied them, so a read right after a
 * write sees it; reads come from the view. Every write needs the bearer token; webhook URLs outside the allowed
 * prefixes are refused; nothing malformed reaches the topic. Also serves the rules page at {@code /}.
 */
public final class RulesApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RulesApi.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    private static final String JSON_TYPE = "application/json";

    /** What the service is started with. */
    public record Settings(String host, int port, String bootstrapServers, String topic, WebhookPrefixes allowed,
                           Optional<ApiToken> token) {
    }

    private final Settings settings;
    private final RulesView view;
    private final KafkaProducer<String, String> producer;
    private final Javalin server;

    private RulesApi(Settings settings) {
        this.settings = settings;
        KafkaTopics.ensureRules(settings.bootstrapServers(), settings.topic());
        this.view = RulesView.start(settings.bootstrapServers(), settings.topic());
        this.producer = producer(settings.bootstrapServers());
        this.server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.routes.get("/", ctx -> page(ctx, "index.html", "text/html; charset=utf-8"));
            config.routes.get("/rules.js", ctx -> page(ctx, "rules.js", "text/javascript; charset=utf-8"));
            config.routes.get("/rules.css", ctx -> page(ctx, "rules.css", "text/css; charset=utf-8"));
            config.routes.get("/healthz", this::health);
            config.routes.get("/rules", this::list);
            config.routes.get("/rules/{id}", this::get);
            config.routes.post("/rules", this::create);
            config.routes.put("/rules/{id}", this::replace);
            config.routes.patch("/rules/{id}", this::update);
            config.routes.delete("/rules/{id}", this::delete);
            config.routes.exception(KafkaUnavailable.class, (e, ctx) -> error(ctx, 503, e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {}: {}", ctx.method(), ctx.path(), e.toString());
                error(ctx, 500, "internal error");
            });
        });
    }

    /** Creates the topic if missing, loads the view, and serves; fails if Kafka or the port cannot be used. */
    public static RulesApi start(Settings settings) throws InterruptedException {
        RulesApi api = new RulesApi(settings);
        try {
            if (!api.view.awaitLoaded(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the rules view did not load topic " + settings.topic() + " within 60 s");
            }
            api.server.start();
        } catch (RuntimeException | InterruptedException e) {
            api.close();
            throw e;
        }
        LOG.info("rules API on port {}: topic {} ({} rules), webhooks allowed under {}, {}", api.port(), settings.topic(),
                api.view.rules().size(), settings.allowed().describe(),
                settings.token().isPresent() ? "writes need the bearer token" : "NO AUTHENTICATION (--no-auth)");
        return api;
    }

    public int port() {
        return server.port();
    }

    private void health(Context ctx) {
        boolean healthy = view.isHealthy();
        ObjectNode body = RuleJson.JSON.createObjectNode().put("status", healthy ? "ok" : "unavailable").put("rules", view.rules().size());
        json(ctx, healthy ? 200 : 503, body);
    }

    private void list(Context ctx) {
        ArrayNode rules = RuleJson.JSON.createArrayNode();
        view.rules().stream().sorted(Comparator.comparing(Rule::metricName).thenComparing(Rule::id))
                .forEach(rule -> rules.add(rule.toMaskedJson()));
        json(ctx, 200, rules);
    }

    private void get(Context ctx) {
        Optional<Rule> rule = view.rule(ctx.pathParam("id"));
        if (rule.isEmpty()) {
            notFound(ctx);
        } else {
            json(ctx, 200, rule.get().toMaskedJson());
        }
    }

    private void create(Context ctx) throws Exception {
        if (authorized(ctx)) {
            Optional<ObjectNode> body = body(ctx);
            if (body.isPresent()) {
                publish(ctx, 201, RuleJson.fromRequest(body.get(), UUID.randomUUID().toString(), settings.allowed()), "created");
            }
        }
    }

    private void replace(Context ctx) throws Exception {
        if (authorized(ctx)) {
            Optional<ObjectNode> body = body(ctx);
            if (body.isPresent() && existing(ctx).isPresent()) {
                publish(ctx, 200, RuleJson.fromRequest(body.get(), ctx.pathParam("id"), settings.allowed()), "replaced");
            }
        }
    }

    /** Changes only the fields given (the page edits a rule without knowing its webhook's token). */
    private void update(Context ctx) throws Exception {
        if (authorized(ctx)) {
            Optional<ObjectNode> body = body(ctx);
            Optional<Rule> rule = body.isPresent() ? existing(ctx) : Optional.empty();
            if (rule.isPresent()) {
                ObjectNode merged = rule.get().toJson();
                merged.setAll(body.get());
                publish(ctx, 200, RuleJson.fromRequest(merged, rule.get().id(), settings.allowed()), "updated");
            }
        }
    }

    private void delete(Context ctx) throws Exception {
        if (authorized(ctx)) {
            Optional<Rule> rule = existing(ctx);
            if (rule.isPresent()) {
                write(rule.get().id(), null);
                LOG.info("rule {} deleted (metric {})", rule.get().id(), rule.get().metricName());
                json(ctx, 200, RuleJson.JSON.createObjectNode());
            }
        }
    }

    private void publish(Context ctx, int status, RuleJson.Parsed parsed, String done) throws Exception {
        if (parsed.rule().isEmpty()) {
            ArrayNode errors = RuleJson.JSON.createArrayNode();
            parsed.errors().forEach(errors::add);
            json(ctx, 422, RuleJson.JSON.createObjectNode().set("errors", errors));
            return;
        }
        Rule rule = parsed.rule().get();
        write(rule.id(), RuleJson.JSON.writeValueAsString(rule.toJson()));
        LOG.info("rule {} {}: {} {} {}", rule.id(), done, rule.metricName(), rule.operator().symbol(), Rule.format(rule.threshold()));
        if (status == 201) {
            ctx.header("Location", "/rules/" + rule.id());
        }
        json(ctx, status, rule.toMaskedJson());
    }

    /** Publishes and waits until this instance's view has applied the record (read-your-writes). */
    private void write(String id, String value) throws InterruptedException {
        RecordMetadata written;
        try {
            written = producer.send(new ProducerRecord<>(settings.topic(), id, value)).get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaUnavailable("Kafka did not take the write within " + WRITE_TIMEOUT.toSeconds() + " s");
        }
        if (!view.awaitApplied(written.partition(), written.offset(), WRITE_TIMEOUT)) {
            throw new KafkaUnavailable("written, but not yet visible in this instance's view");
        }
    }

    private static final class KafkaUnavailable extends RuntimeException {
        KafkaUnavailable(String message) {
            super(message);
        }
    }

    private boolean authorized(Context ctx) {
        if (settings.token().isEmpty() || settings.token().get().authorizes(ctx.header("Authorization"))) {
            return true;
        }
        ctx.header("WWW-Authenticate", "Bearer");
        error(ctx, 401, "a write needs the header Authorization: Bearer <token>");
        return false;
    }

    private Optional<ObjectNode> body(Context ctx) {
        try {
            return Optional.of(RuleJson.object(ctx.body()));
        } catch (RuleJson.NotJson e) {
            error(ctx, 400, e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<Rule> existing(Context ctx) {
        Optional<Rule> rule = view.rule(ctx.pathParam("id"));
        if (rule.isEmpty()) {
            notFound(ctx);
        }
        return rule;
    }

    private static void notFound(Context ctx) {
        error(ctx, 404, "no rule with id " + ctx.pathParam("id"));
    }

    private static void error(Context ctx, int status, String message) {
        json(ctx, status, RuleJson.JSON.createObjectNode().put("error", message));
    }

    private static void json(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType(JSON_TYPE).result(body.toString());
    }

    /** The page's own files only: no inline style or script, no framing, forms posting nowhere else. */
    static final String PAGE_POLICY = "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
            + "form-action 'self'; base-uri 'none'";

    private static void page(Context ctx, String resource, String contentType) {
        try (InputStream in = RulesApi.class.getResourceAsStream("/public/" + resource)) {
            ctx.header("Content-Security-Policy", PAGE_POLICY);
            ctx.header("X-Content-Type-Options", "nosniff");
            ctx.contentType(contentType).result(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(WRITE_TIMEOUT.toMillis()));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(WRITE_TIMEOUT.toMillis()));
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(WRITE_TIMEOUT.toMillis() - 1000));
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "streamwatch-rules-api");
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    @Override
    public void close() {
        try {
            server.stop();
        } finally {
            producer.close(Duration.ofSeconds(5));
            view.close();
        }
    }

    List<Rule> rules() {
        return List.copyOf(view.rules());
    }
}
