package io.streamwatch.listeners;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes the Pushgateway forget retired jobs: deletes every group whose last push ({@code push_time_seconds}) is older
 * than an age, printing each, never one pushed within the age. A running query pushes every heartbeat, so only what
 * no job will push again goes: a failed query's {@code streamwatch_query_up 0}, a killed driver's last values, a job
 * renamed. Runs from the listeners' {@code -all} jar alone (JDK only):
 * {@code java -cp streamwatch-listeners_2.12-0.2.0-all.jar io.streamwatch.listeners.PushgatewayPrune --pushgateway
 * http://pushgateway:9091 --older-than 1h [--job J] [--dry-run]}. Exit codes: 0 done, 1 the Pushgateway failed,
 * 2 bad flags.
 */
public final class PushgatewayPrune {
    private static final Pattern SAMPLE = Pattern.compile("^push_time_seconds\\{(.*)}\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern AGE = Pattern.compile("([0-9]+)(s|m|h|d)");
    static final String USAGE = """
            Usage: PushgatewayPrune --pushgateway ADDRESS --older-than AGE [--job JOB] [--dry-run]
                                    [--username USER] [--password-file FILE] [--bearer-token-file FILE]
            Deletes the Pushgateway groups whose last push is older than AGE (90s, 30m, 1h, 7d), printing each.
              --pushgateway ADDRESS      host:port or http(s)://[user:password@]host:port[/path]
              --older-than AGE           only groups whose push_time_seconds is older than this
              --job JOB                  only the groups of this job
              --dry-run                  print what would be deleted, delete nothing
              --username USER, --password-file FILE, --bearer-token-file FILE   credentials, as the listeners take them
            """;

    /** A group: its grouping key (job first) and when it was last pushed. */
    record Group(Map<String, String> labels, double pushTimeSeconds) {
        String job() {
            return labels.get("job");
        }

        /** The path that names the group, every value base64url-encoded (slashes and empty values included). */
        String path() {
            StringBuilder path = new StringBuilder("/metrics/job@base64/").append(encode(job()));
            labels.forEach((name, value) -> {
                if (!name.equals("job")) {
                    path.append('/').append(name).append("@base64/").append(value.isEmpty() ? "=" : encode(value));
                }
            });
            return path.toString();
        }

        private static String encode(String value) {
            return Base64.getUrlEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return labels.toString();
        }
    }

    /** The parsed flags. */
    record Options(PushTarget pushgateway, Duration olderThan, Optional<String> job, boolean dryRun) {
    }

    /** A flag that makes no sense: one line, exit 2. */
    static final class BadFlag extends Exception {
        BadFlag(String message) {
            super(message);
        }
    }

    private PushgatewayPrune() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.currentTimeMillis()));
    }

    static int run(String[] args, PrintStream out, PrintStream err, long nowMillis) {
        Options options;
        try {
            if (List.of(args).contains("--help")) {
                out.print(USAGE);
                return 0;
            }
            options = parse(args);
        } catch (BadFlag e) {
            err.println("PushgatewayPrune: " + e.getMessage() + " (see --help)");
            return 2;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            List<Group> groups = groups(client, options.pushgateway());
            double cutoff = nowMillis / 1000.0 - options.olderThan().toSeconds();
            int deleted = 0;
            int kept = 0;
            for (Group group : groups) {
                if (options.job().isPresent() && !options.job().get().equals(group.job())) {
                    continue;
                }
                if (group.pushTimeSeconds() >= cutoff) {
                    kept++;
                    continue;
                }
                long age = Math.round(nowMillis / 1000.0 - group.pushTimeSeconds());
                if (options.dryRun()) {
                    out.println("would delete " + group + " (last push " + age + " s ago)");
                } else {
                    delete(client, options.pushgateway(), group);
                    out.println("deleted " + group + " (last push " + age + " s ago)");
                }
                deleted++;
            }
            out.println((options.dryRun() ? "would delete " : "deleted ") + deleted + " group(s), kept " + kept + " pushed within "
                    + options.olderThan().toSeconds() + " s");
            return 0;
        } catch (IOException e) {
            err.println("PushgatewayPrune: " + options.pushgateway() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    static Options parse(String[] args) throws BadFlag {
        Map<String, String> values = new LinkedHashMap<>();
        boolean dryRun = false;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            switch (flag) {
                case "--dry-run" -> dryRun = true;
                case "--pushgateway", "--older-than", "--job", "--username", "--password-file", "--bearer-token-file" -> {
                    if (i + 1 >= args.length) {
                        throw new BadFlag(flag + " needs a value");
                    }
                    if (values.put(flag, args[++i]) != null) {
                        throw new BadFlag(flag + " given twice");
                    }
                }
                default -> throw new BadFlag("unknown flag " + flag);
            }
        }
        if (!values.containsKey("--pushgateway")) {
            throw new BadFlag("--pushgateway is required");
        }
        if (!values.containsKey("--older-than")) {
            throw new BadFlag("--older-than is required (a group pushed within it is never deleted)");
        }
        Matcher age = AGE.matcher(values.get("--older-than").trim().toLowerCase(Locale.ROOT));
        if (!age.matches() || Long.parseLong(age.group(1)) == 0) {
            throw new BadFlag("--older-than: '" + values.get("--older-than") + "' is not a positive age (90s, 30m, 1h, 7d)");
        }
        long amount = Long.parseLong(age.group(1));
        Duration olderThan = switch (age.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
        PushTarget target;
        try {
            target = PushTarget.parse(values.get("--pushgateway"), new PushTarget.Credentials(Optional.ofNullable(values.get("--username")),
                    secret(values.get("--password-file"), "--password-file"), secret(values.get("--bearer-token-file"), "--bearer-token-file")));
        } catch (IllegalArgumentException e) {
            throw new BadFlag("--pushgateway: " + e.getMessage());
        }
        return new Options(target, olderThan, Optional.ofNullable(values.get("--job")), dryRun);
    }

    private static Optional<String> secret(String file, String flag) throws BadFlag {
        if (file == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(Path.of(file), StandardCharsets.UTF_8).trim());
        } catch (IOException | RuntimeException e) {
            throw new BadFlag(flag + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Every group the Pushgateway holds, from its {@code push_time_seconds} series (one per group). */
    static List<Group> groups(HttpClient client, PushTarget pushgateway) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(request(pushgateway, "/metrics").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET /metrics answered HTTP " + response.statusCode());
        }
        List<Group> groups = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            Matcher sample = SAMPLE.matcher(line.trim());
            if (!sample.matches()) {
                continue;
            }
            Map<String, String> labels = new TreeMap<>();
            Matcher label = LABEL.matcher(sample.group(1));
            while (label.find()) {
                labels.put(label.group(1), unescape(label.group(2)));
            }
            if ("".equals(labels.get("instance"))) {
                labels.remove("instance"); // added to every pushed series when the grouping key has none
            }
            Map<String, String> key = new LinkedHashMap<>();
            key.put("job", labels.remove("job"));
            key.putAll(labels);
            groups.add(new Group(key, Double.parseDouble(sample.group(2))));
        }
        return groups;
    }

    private static void delete(HttpClient client, PushTarget pushgateway, Group group) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(request(pushgateway, group.path()).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202 && response.statusCode() != 200) {
            throw new IOException("DELETE of " + group + " answered HTTP " + response.statusCode());
        }
    }

    private static HttpRequest.Builder request(PushTarget pushgateway, String path) {
        String base = pushgateway.url().toString().replaceAll("/+$", "");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15));
        pushgateway.authorization().ifPresent(value -> request.header("Authorization", value));
        return request;
    }

    /** A label value of the text format: {@code \\}, {@code \"} and {@code \n} escaped. */
    private static String unescape(String value) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                char next = value.charAt(++i);
                text.append(next == 'n' ? '\n' : next);
            } else {
                text.append(c);
            }
        }
        return text.toString();
    }
}
