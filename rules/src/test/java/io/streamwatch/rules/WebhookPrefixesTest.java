package io.streamwatch.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookPrefixesTest {
    static final String TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123";

    @Test
    void theTokenIsMaskedWhereverItSits() {
        for (String url : List.of("https://discord.com/api/webhooks/123456789012345678/" + TOKEN,
                "https://discord.com/api/webhooks/123456789012345678/" + TOKEN + "/",
                "https://discord.com/api/webhooks/123456789012345678/" + TOKEN + "/slack",
                "https://discord.com/api/webhooks/123456789012345678/" + TOKEN + "/github?wait=true",
                "https://discord.com/api/webhooks/" + TOKEN,
                "https://discord.com/api/webhooks/" + TOKEN + "/slack",
                "https://user:" + TOKEN + "@discord.com/api/webhooks/1/x",
                "https://hooks.example.com/" + TOKEN + "/notify")) {
            String masked = WebhookPrefixes.mask(url);
            assertFalse(masked.contains(TOKEN), url + " -> " + masked);
            assertTrue(masked.endsWith("****"), masked);
        }
        assertEquals("https://discord.com/api/webhooks/123456789012345678/****",
                WebhookPrefixes.mask("https://discord.com/api/webhooks/123456789012345678/" + TOKEN + "/slack"));
        assertEquals("https://hooks.example.com/****", WebhookPrefixes.mask("https://hooks.example.com/" + TOKEN + "/notify"));
    }

    @Test
    void onlyAUrlInItsNormalFormUnderAPrefixIsAllowed() {
        WebhookPrefixes discord = WebhookPrefixes.discord();
        assertTrue(discord.allows("https://discord.com/api/webhooks/1/" + TOKEN));
        assertTrue(discord.allows("https://discord.com/api/webhooks/1/" + TOKEN + "/slack?wait=true"));
        for (String url : List.of("https://discord.com/api/webhooks/%2e%2e/%2e%2e/oauth2/token",
                "https://discord.com/api/webhooks/..%2F..%2Fusers/@me", "https://discord.com/api/webhooks/1/..;/..;/users/@me",
                "https://discord.com/api/webhooks/1/../../users/@me", "https://discord.com/api/webhooks/./1/x",
                "https://discord.com/api/webhooks/1%2Fx", "https://DISCORD.com/api/webhooks/1/x", "https://discord.com:443/api/webhooks/1/x",
                "https://discord.com/api/webhooks//1/x", "https://discord.com/api/webhooks/1\\..\\x", "https://discord.com/api/webhooks/1/x#f",
                "https://u:p@discord.com/api/webhooks/1/x", "https://discord.com.evil.example/api/webhooks/1/x",
                "https://discord.com/api/webhooks/", "https://discord.com/api/webhooks/1/x?url=http://evil/", "https://discord.com/api/webhooks/é")) {
            assertFalse(discord.allows(url), url);
        }
    }
}
