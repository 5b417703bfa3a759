package io.opencodefleet.planner.api;

import io.opencodefleet.planner.mission.MissionNotFoundException;
import io.opencodefleet.planner.mission.MissionStateException;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Errors a client can act on, as JSON that says what is wrong: 400 (naming the field), 404, 409. */
public class ApiErrorMapper {

    @ServerExceptionMapper
    public Response invalid(InvalidMessageException e) {
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", e.getMessage(), "problems", e.problems())).build();
    }

    /** No token, or one that does not verify (signature, issuer, expiry): 401 with the Bearer challenge. */
    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthenticated(RuntimeException e) {
        return Response.status(Response.Status.UNAUTHORIZED).type(MediaType.APPLICATION_JSON).header("WWW-Authenticate", "Bearer")
                .entity(Map.of("error", "authentication required: send Authorization: Bearer <token> with a token this planner"
                        + " trusts (bin/fleet sends the local fleet's own token)")).build();
    }

    /** A valid token without the role the call needs. */
    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return error(Response.Status.FORBIDDEN, "forbidden: submitting needs the role " + Roles.SUBMITTER + ", cancel, resume and retry need "
                + Roles.OPERATOR + ", reading needs " + Roles.VIEWER + " (or one of the others)");
    }

    /** What the HTTP layer refuses (wrong media type, method, a body that is not what the call takes): its status, named. */
    @ServerExceptionMapper
    public Response http(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 415 -> "unsupported content type: this call takes application/json";
            case 405 -> "method not allowed here";
            case 406 -> "not acceptable: this API answers application/json (events: text/event-stream)";
            case 404 -> "no such resource: " + e.getMessage();
            default -> e.getMessage() == null ? Response.Status.fromStatusCode(status).getReasonPhrase() : e.getMessage();
        };
        return error(Response.Status.fromStatusCode(status) == null ? Response.Status.BAD_REQUEST : Response.Status.fromStatusCode(status), message);
    }

    /** A request body that is not the JSON the call takes (the mission itself is decoded by MessageCodec, which names the field). */
    @ServerExceptionMapper(value = {JsonProcessingException.class, MismatchedInputException.class, InvalidFormatException.class,
            ProcessingException.class}, priority = 1)
    public Response unreadable(Exception e) {
        String why = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
        return error(Response.Status.BAD_REQUEST, "the request body is not the JSON this call takes: " + why);
    }

    @ServerExceptionMapper
    public Response notFound(MissionNotFoundException e) {
        return error(Response.Status.NOT_FOUND, e.getMessage());
    }

    @ServerExceptionMapper
    public Response conflict(MissionStateException e) {
        return error(Response.Status.CONFLICT, e.getMessage());
    }

    private static Response error(Response.Status status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
