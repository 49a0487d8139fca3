package io.streamwatch.jobs.common;

/** Text bounded for a field with a length limit (a Discord embed, a log line, a stored reason). */
public final class ShortText {
    private ShortText() {
    }

    /** At most {@code limit} characters, the last one an ellipsis when cut, never half of a surrogate pair. */
    public static String cut(String text, int limit) {
        if (text.length() <= limit) {
            return text;
        }
        int end = limit - 1;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "…";
    }
}
