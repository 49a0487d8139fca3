package io.streamwatch.listeners;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Pushgateway to push to: its URL without credentials, and the {@code Authorization} header to send (basic
 * auth from the address's user info or from separate settings, or a bearer token). Parsing checks the
 * address; every message, and {@link #toString()}, names it without credentials.
 */
public final class PushTarget {
    private static final Pattern HOST_PORT = Pattern.compile("(?:\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?");

    private final URL url;
    private final String printable;
    private final Optional<String> authorization;

    private PushTarget(URL url, Optional<String> authorization) {
        this.url = url;
        this.printable = url.toString();
        this.authorization = authorization;
    }

    /** Basic auth or a bearer token, from settings other than the address. */
    public record Credentials(Optional<String> username, Optional<String> password, Optional<String> bearerToken) {
        public static final Credentials NONE = new Credentials(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** A plain {@code host:port} or {@code http(s)://[user:password@]host:port[/path]}, without other credentials. */
    public static PushTarget parse(String address) {
        return parse(address, Credentials.NONE);
    }

    /**
     * @throws IllegalArgumentException naming the address without its credentials, when it is not one
     */
    public static PushTarget parse(String address, Credentials credentials) {
        String trimmed = address.trim();
        String withScheme = trimmed.contains("://") ? trimmed : "http://" + trimmed;
        String shown = redacted(withScheme);
        URI uri;
        try {
            uri = new URI(withScheme);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a Pushgateway address: " + shown);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("not a Pushgateway address (the scheme must be http or https): " + shown);
        }
        String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        Matcher m = HOST_PORT.matcher(hostPort);
        if (uri.getHost() == null || !m.matches() || uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("not a Pushgateway address (expected host:port or http(s)://host:port[/path]): " + shown);
        }
        if (m.group(1) != null) {
            int port = Integer.parseInt(m.group(1).substring(1));
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("not a Pushgateway address (port " + port + " out of range): " + shown);
            }
        }
        Optional<String> authorization = authorization(uri.getRawUserInfo(), credentials);
        try {
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            return new PushTarget(new URL(scheme + "://" + hostPort + path), authorization);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("not a Pushgateway address: " + shown);
        }
    }

    private static Optional<String> authorization(String rawUserInfo, Credentials credentials) {
        if (credentials.bearerToken().isPresent()) {
            if (rawUserInfo != null || credentials.username().isPresent()) {
                throw new IllegalArgumentException("give a bearer token or basic auth credentials, not both");
            }
            return Optional.of("Bearer " + credentials.bearerToken().get());
        }
        String username = credentials.username().orElse(null);
        String password = credentials.password().orElse(null);
        if (rawUserInfo != null) {
            if (username != null) {
                throw new IllegalArgumentException("give the user in the address or in the username setting, not both");
            }
            int colon = rawUserInfo.indexOf(':');
            username = decode(colon < 0 ? rawUserInfo : rawUserInfo.substring(0, colon));
            password = colon < 0 ? password : decode(rawUserInfo.substring(colon + 1));
        }
        if (username == null) {
            if (password != null) {
                throw new IllegalArgumentException("a Pushgateway password without a username");
            }
            return Optional.empty();
        }
        String pair = username + ":" + (password == null ? "" : password);
        return Optional.of("Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The URL to push to, without credentials. */
    public URL url() {
        return url;
    }

    /** The {@code Authorization} header's value, if any. */
    Optional<String> authorization() {
        return authorization;
    }

    /** The address without credentials, for logs. */
    public static String redacted(String address) {
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return address;
        }
        int scheme = address.indexOf("//");
        int start = scheme >= 0 && scheme < at ? scheme + 2 : 0;
        return address.substring(0, start) + "***" + address.substring(at);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PushTarget that && printable.equals(that.printable) && authorization.equals(that.authorization);
    }

    @Override
    public int hashCode() {
        return printable.hashCode();
    }

    @Override
    public String toString() {
        return printable;
    }
}
