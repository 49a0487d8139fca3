package io.streamwatch.jobs.sla;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;

/**
 * Realistic visits as JSON, in the nested visits schema, with a share of visits missing their optional
 * fields and, on demand, records that are not valid visits (for tests and demos). Seeded: reproducible.
 */
final class VisitFaker {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] PAGES = {"index.html", "contact.html", "about.html", "categories.html",
        "home.html", "page_1.html", "page_2.html", "checkout.html", "cart.html", "faq.html"};
    private static final String[] REFERRALS = {"search", "social media", "news", "partner", "direct"};
    private static final String[] BROWSERS = {"Chrome", "Firefox", "Safari", "Edge", "Opera"};
    private static final String[] NETWORKS = {"wifi", "4g", "5g", "ethernet", "3g"};
    private static final String[] DEVICES = {"pc", "smartphone", "tablet", "smart tv"};
    private static final String[] DEVICE_VERSIONS = {"Windows 11", "macOS 14", "Android 14", "iOS 17", "Ubuntu 24.04"};
    private static final String[] FIRST = {"ana", "bob", "chen", "dana", "emil", "fatima", "goran", "hana", "ivo", "jules"};

    /** The kinds of records that are not valid visits. */
    enum Malformed { NOT_JSON, WRONG_TYPES, MISSING_VISIT_ID }

    private final Random random;
    private final double missingOptionalRatio;
    private long sequence;

    VisitFaker(long seed, double missingOptionalRatio) {
        this.random = new Random(seed);
        this.missingOptionalRatio = missingOptionalRatio;
    }

    String visit(Instant eventTime) {
        int user = random.nextInt(1_000);
        ObjectNode visit = JSON.createObjectNode()
                .put("visit_id", "visit-" + Long.toHexString(random.nextLong() & Long.MAX_VALUE) + "-" + sequence++)
                .put("event_time", eventTime.toString())
                .put("user_id", "user-" + user)
                .put("page", pick(PAGES));
        if (random.nextDouble() >= missingOptionalRatio) {
            ObjectNode context = visit.putObject("context");
            context.put("referral", pick(REFERRALS));
            context.put("ad_id", random.nextBoolean() ? "ad-" + random.nextInt(500) : null);
            ObjectNode userNode = context.putObject("user");
            userNode.put("ip", (random.nextInt(223) + 1) + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256));
            userNode.put("login", FIRST[user % FIRST.length] + user);
            userNode.put("connected_since", eventTime.minus(Duration.ofMinutes(random.nextInt(600))).toString());
            ObjectNode technical = context.putObject("technical");
            technical.put("browser", pick(BROWSERS));
            technical.put("browser_version", (random.nextInt(30) + 100) + ".0");
            technical.put("network_type", pick(NETWORKS));
            technical.put("device_type", pick(DEVICES));
            technical.put("device_version", pick(DEVICE_VERSIONS));
        }
        return visit.toString();
    }

    String malformed(Malformed kind, Instant eventTime) {
        return switch (kind) {
            case NOT_JSON -> "{\"visit_id\": \"visit-broken-" + sequence++ + "\", \"event_time\": ";
            case WRONG_TYPES -> "{\"visit_id\": \"visit-typed-" + sequence++ + "\", \"event_time\": \"yesterday\", "
                    + "\"user_id\": 42, \"page\": [\"index.html\"]}";
            case MISSING_VISIT_ID -> "{\"event_time\": \"" + eventTime + "\", \"user_id\": \"user-1\", \"page\": \"index.html\"}";
        };
    }

    private String pick(String[] values) {
        return values[random.nextInt(values.length)];
    }
}
