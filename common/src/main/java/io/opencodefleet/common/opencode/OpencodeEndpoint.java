package io.opencodefleet.common.opencode;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * Where an OpenCode server answers and how to authenticate: HTTP Basic with user {@code opencode} (or
 * {@code OPENCODE_SERVER_USERNAME}) and the server's {@code OPENCODE_SERVER_PASSWORD}. A null password means
 * the server runs without authentication.
 */
public record OpencodeEndpoint(URI baseUri, String username, String password) {

    public static final String DEFAULT_USERNAME = "opencode";

    public OpencodeEndpoint {
        Objects.requireNonNull(baseUri);
        String text = baseUri.toString();
        if (text.endsWith("/")) {
            baseUri = URI.create(text.substring(0, text.length() - 1));
        }
        if (username == null || username.isBlank()) {
            username = DEFAULT_USERNAME;
        }
    }

    public static OpencodeEndpoint of(String url, String password) {
        return new OpencodeEndpoint(URI.create(url), DEFAULT_USERNAME, password);
    }

    /** The {@code Authorization} header value, or null without a password. */
    public String authorization() {
        if (password == null || password.isEmpty()) {
            return null;
        }
        return "Basic " + Base64.getEncoder()
                .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "OpencodeEndpoint[" + baseUri + ", user " + username + (password == null ? "" : ", password ***")
                + "]";
    }
}
