package io.opencodefleet.worker.attach;

import io.opencodefleet.common.opencode.OpencodeEndpoint;
import io.opencodefleet.worker.agent.CodingAgent;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * A person looks inside a running task through the worker, never by reaching OpenCode itself (it listens on the
 * worker's loopback, with a password per slot): {@code opencode attach http://<worker>/api/v1/opencode/<slot> -u fleet
 * -p <fleet token>} goes through this reverse proxy, which accepts the fleet's bearer token (as a Bearer header or as
 * the Basic password OpenCode's client sends) with the {@code fleet-operator} role, and forwards to the slot's server
 * with that server's own credentials. Streams (OpenCode's events) pass through as they come.
 */
@ApplicationScoped
public class AttachProxy {

    public static final String PREFIX = "/api/v1/opencode/";
    static final String ROLE = "fleet-operator";

    @Inject
    CodingAgent agent;

    @Inject
    JWTParser tokens;

    @Inject
    Vertx vertx;

    void install(@Observes Router router) {
        HttpProxy proxy = HttpProxy.reverseProxy(vertx.createHttpClient());
        proxy.originRequestProvider((request, client) -> {
            OpencodeEndpoint endpoint = endpointOf(request).orElse(null);
            if (endpoint == null) {
                return Future.failedFuture("no such slot");
            }
            URI base = endpoint.baseUri();
            return client.request(new io.vertx.core.http.RequestOptions().setHost(base.getHost()).setPort(base.getPort()));
        });
        proxy.addInterceptor(new ProxyInterceptor() {
            @Override
            public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
                var request = context.request();
                OpencodeEndpoint endpoint = endpointOf(request.proxiedRequest()).orElseThrow();
                String uri = request.getURI();
                String rest = uri.substring(PREFIX.length());
                int slash = rest.indexOf('/');
                request.setURI(slash < 0 ? "/" : rest.substring(slash));
                request.headers().remove("authorization");
                String authorization = endpoint.authorization();
                if (authorization != null) {
                    request.headers().set("authorization", authorization);
                }
                request.setAuthority(HostAndPort.create(endpoint.baseUri().getHost(), endpoint.baseUri().getPort()));
                return context.sendRequest();
            }
        });
        router.route(PREFIX + "*").order(-1).handler(context -> {
            if (!authorized(context)) {
                return;
            }
            if (endpointOf(context.request()).isEmpty()) {
                error(context, 404, "this worker has no such slot");
                return;
            }
            proxy.handle(context.request());
        });
    }

    private boolean authorized(RoutingContext context) {
        String token = tokenOf(context.request().getHeader("authorization"));
        if (token == null) {
            context.response().putHeader("WWW-Authenticate", "Basic realm=\"fleet\"");
            error(context, 401, "authentication required: the fleet's bearer token (as Bearer, or as the Basic password)");
            return false;
        }
        try {
            JsonWebToken jwt = tokens.parse(token);
            if (jwt.getGroups() == null || !jwt.getGroups().contains(ROLE)) {
                error(context, 403, "forbidden: attaching needs the role " + ROLE);
                return false;
            }
            return true;
        } catch (ParseException e) {
            context.response().putHeader("WWW-Authenticate", "Basic realm=\"fleet\"");
            error(context, 401, "authentication required: the token does not verify (" + e.getMessage() + ")");
            return false;
        }
    }

    static String tokenOf(String authorization) {
        if (authorization == null) {
            return null;
        }
        if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).strip();
        }
        if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                return colon < 0 ? null : pair.substring(colon + 1);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private Optional<OpencodeEndpoint> endpointOf(HttpServerRequest request) {
        String rest = request.path().substring(PREFIX.length());
        int slash = rest.indexOf('/');
        String slot = slash < 0 ? rest : rest.substring(0, slash);
        return slot.matches("slot-[0-9]{1,3}") ? agent.endpoint(slot) : Optional.empty();
    }

    private static void error(RoutingContext context, int status, String message) {
        context.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", message).encode());
    }
}
