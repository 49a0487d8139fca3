package io.streamwatch.rules;

import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;

/**
 * Where alarms may be sent: URLs under one of these prefixes, so that neither the rules API nor the alarms job
 * can be used to send requests anywhere else. By default Discord's webhook addresses.
 */
public record WebhookPrefixes(List<String> prefixes) implements Serializable {
    public static final String DEFAULT = "https://discord.com/api/webhooks/,https://discordapp.com/api/webhooks/,"
            + "https://ptb.discord.com/api/webhooks/,https://canary.discord.com/api/webhooks/";
    public static final List<String> DISCORD = List.of(DEFAULT.split(","));
    private static final int MAX_URL_LENGTH = 2048;

    public WebhookPrefixes {
        prefixes = List.copyOf(prefixes);
    }

    /**
     * From the comma-separated flag value; each prefix an absolute http(s) URL ending in {@code /}, so a prefix
     * fixes the host and a path (a bare {@code https://discord.com} would also allow {@code https://discord.com.evil}).
     */
    public static WebhookPrefixes parse(String commaSeparated) {
        List<String> prefixes = Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList();
        if (prefixes.isEmpty()) {
            throw new IllegalArgumentException("no webhook prefix given");
        }
        for (String prefix : prefixes) {
            URI uri;
            try {
                uri = new URI(prefix);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("'" + prefix + "' is not a URL");
            }
            if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                    || !prefix.endsWith("/") || uri.getRawUserInfo() != null || uri.getRawQuery() != null) {
                throw new IllegalArgumentException("'" + prefix + "' is not an http(s) URL prefix ending in / (e.g. "
                        + DISCORD.get(0) + ")");
            }
        }
        return new WebhookPrefixes(prefixes);
    }

    public static WebhookPrefixes discord() {
        return new WebhookPrefixes(DISCORD);
    }

    /**
     * Whether alarms may be posted there: under a prefix, more than the prefix, no dot segments, no spaces or
     * control characters, no fragment.
     */
    public boolean allows(String url) {
        if (url == null || url.length() > MAX_URL_LENGTH || url.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            return false;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return false;
        }
        if (uri.getRawFragment() != null || !uri.normalize().toString().equals(url) || url.contains("/./") || url.contains("/../")) {
            return false;
        }
        return prefixes.stream().anyMatch(prefix -> url.startsWith(prefix) && url.length() > prefix.length());
    }

    public String describe() {
        return String.join(", ", prefixes);
    }

    /**
     * The URL with its secret part hidden: a Discord webhook is {@code .../webhooks/<id>/<token>}; everything after
     * the last {@code /} (and any query) becomes {@code ****}.
     */
    public static String mask(String url) {
        if (url == null) {
            return null;
        }
        String withoutQuery = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
        int lastSlash = withoutQuery.lastIndexOf('/');
        int schemeEnd = withoutQuery.indexOf("://");
        if (lastSlash < 0 || lastSlash <= schemeEnd + 2) {
            return "****";
        }
        return withoutQuery.substring(0, lastSlash + 1) + "****";
    }
}
