package io.opencodefleet.planner.api;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A request body larger than the API takes is refused before it is read, in the API's own error shape: 413 with a
 * JSON {@code error} that says so (the HTTP server's own, larger limit would answer with an empty body).
 */
@ApplicationScoped
public class HttpErrors {

    /** A mission of 10,000 tasks is a few MB of JSON. */
    public static final long MAX_BODY_BYTES = 4L * 1024 * 1024;

    void install(@Observes Filters filters) {
        filters.register(context -> {
            String length = context.request().getHeader("content-length");
            if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19 && Long.parseLong(length) > MAX_BODY_BYTES) {
                // Read and drop the body first, so the client (still sending it) hears the answer instead of a broken pipe.
                context.request().handler(chunk -> { }).endHandler(end -> context.response().setStatusCode(413)
                        .putHeader("content-type", "application/json")
                        .end(new JsonObject().put("error", "the request body is too large: at most " + MAX_BODY_BYTES + " bytes").encode()));
            } else {
                context.next();
            }
        }, 100);
    }
}
