package io.opencodefleet.common.opencode;

import java.time.Duration;
import java.util.Optional;

/** A server someone else runs ({@code fleet.opencode.url}): used as it is, never restarted, left running on close. */
public final class AttachedOpencodeServer implements OpencodeServer {

    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    private final OpencodeEndpoint endpoint;
    private final OpencodeClient client;

    AttachedOpencodeServer(OpencodeEndpoint endpoint) {
        this.endpoint = endpoint;
        this.client = new OpencodeClient(endpoint);
    }

    @Override
    public OpencodeEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public OpencodeClient client() {
        return client;
    }

    /** @throws OpencodeException when it does not answer {@code /global/health} (twice, two seconds each) */
    @Override
    public Optional<String> ensureHealthy() {
        if (!client.healthy(HEALTH_TIMEOUT) && !client.healthy(HEALTH_TIMEOUT)) {
            throw new OpencodeException("the OpenCode server at " + endpoint.baseUri() + " is not healthy");
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        // someone else's server
    }

    @Override
    public String toString() {
        return "AttachedOpencodeServer[" + endpoint + "]";
    }
}
