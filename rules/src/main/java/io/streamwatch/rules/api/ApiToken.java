package io.streamwatch.rules.api;

import io.streamwatch.cli.BadFlagValue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The bearer token every write to the rules API needs, from {@code STREAMWATCH_API_TOKEN} or a file. Compared in
 * constant time over digests, so neither the token's characters nor its length leak through timing.
 */
public final class ApiToken {
    public static final String ENVIRONMENT_VARIABLE = "STREAMWATCH_API_TOKEN";
    private final byte[] digest;

    private ApiToken(String token) {
        this.digest = sha256(token);
    }

    /** The token from the file if given, else from the environment; empty when neither is set. */
    public static Optional<ApiToken> load(Path tokenFile, String environmentValue) {
        if (tokenFile != null) {
            String token;
            try {
                token = Files.readString(tokenFile).strip();
            } catch (IOException e) {
                throw new BadFlagValue("--token-file: cannot read " + tokenFile + " (" + e.getClass().getSimpleName() + ")");
            }
            if (token.isEmpty()) {
                throw new BadFlagValue("--token-file: " + tokenFile + " is empty");
            }
            return Optional.of(new ApiToken(token));
        }
        if (environmentValue != null && !environmentValue.isBlank()) {
            return Optional.of(new ApiToken(environmentValue.strip()));
        }
        return Optional.empty();
    }

    /** Whether an {@code Authorization} header carries this token as {@code Bearer <token>}. */
    public boolean authorizes(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(7).strip()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ApiToken[****]";
    }
}
