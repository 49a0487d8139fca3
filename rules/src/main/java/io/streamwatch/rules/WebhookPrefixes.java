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
     * Whether alarms may be posted there: the URL already in its normal form (lower-case scheme and host, no default
     * port, no percent-escape, no dot segment, no {@code ;} or {@code \\}, no user info, no fragment, no spaces or
     * control characters), under a prefix and more than the prefix. What is not in its normal form is refused rather
     * than normalised, so the URL checked is the URL called: {@code %2e%2e/}, {@code %2F} and {@code ..;/} never pass.
     */
    public boolean allows(String url) {
        return isNormal(url) && prefixes.stream().anyMatch(prefix -> url.startsWith(prefix) && url.length() > prefix.length());
    }

    static boolean isNormal(String url) {
        if (url == null || url.length() > MAX_URL_LENGTH || url.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            return false;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return false;
        }
        String scheme = uri.getScheme();
        String host = uri.getHost();
        String path = uri.getRawPath();
        if (!("https".equals(scheme) || "http".equals(scheme)) || host == null || !host.equals(host.toLowerCase(java.util.Locale.ROOT))
                || uri.getRawUserInfo() != null || uri.getRawFragment() != null || path == null || !path.startsWith("/")) {
            return false;
        }
        if (("https".equals(scheme) && uri.getPort() == 443) || ("http".equals(scheme) && uri.getPort() == 80)) {
            return false;
        }
        if (path.contains("%") || path.contains(";") || path.contains("\\") || path.contains("//")) {
            return false;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        String query = uri.getRawQuery();
        return query == null || query.matches("[A-Za-z0-9_=&.-]*");
    }

    public String describe() {
        return String.join(", ", prefixes);
    }

    /**
     * The URL with its secret hidden, wherever in the path it sits: scheme, host and port, the path up to a
     * {@code webhooks} segment and the webhook's id after it (a Discord id is a number, never longer than 20 characters)
     * stay; everything else (the token, any {@code /slack} or {@code /github} after it, the query) becomes {@code ****}.
     * A URL without a {@code webhooks} segment keeps only its origin.
     */
    public static String mask(String url) {
        if (url == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "****";
        }
        if (uri.getScheme() == null || uri.getRawAuthority() == null) {
            return "****";
        }
        String authority = uri.getRawAuthority();
        authority = authority.substring(authority.lastIndexOf('@') + 1);
        StringBuilder shown = new StringBuilder(uri.getScheme()).append("://").append(authority).append('/');
        List<String> segments = uri.getRawPath() == null ? List.of() : Arrays.stream(uri.getRawPath().split("/")).filter(p -> !p.isEmpty()).toList();
        int webhooks = segments.lastIndexOf("webhooks");
        if (webhooks >= 0) {
            for (int i = 0; i <= webhooks; i++) {
                shown.append(segments.get(i)).append('/');
            }
            if (webhooks + 1 < segments.size() && segments.get(webhooks + 1).matches("[A-Za-z0-9_-]{1,20}") && webhooks + 2 < segments.size()) {
                shown.append(segments.get(webhooks + 1)).append('/');
            }
        }
        return shown.append("****").toString();
    }
}
