package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.InvalidMessageException;
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
