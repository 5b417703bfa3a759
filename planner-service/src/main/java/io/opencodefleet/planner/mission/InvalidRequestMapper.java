package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.InvalidMessageException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.Map;

/** 400 with a message that names the field and says what is wrong, e.g. a cyclic plan with the cycle named. */
@Provider
public class InvalidRequestMapper implements ExceptionMapper<InvalidMessageException> {

    @Override
    public Response toResponse(InvalidMessageException e) {
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", e.getMessage(), "problems", e.problems())).build();
    }
}
