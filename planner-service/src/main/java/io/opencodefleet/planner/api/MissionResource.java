package io.opencodefleet.planner.api;

import io.opencodefleet.planner.mission.Mission;
import io.opencodefleet.planner.mission.MissionStatus;
import io.opencodefleet.planner.mission.MissionService;
import io.opencodefleet.planner.mission.MissionNotFoundException;
import io.opencodefleet.common.messages.FleetJson;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.common.messages.Sizes;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import org.jboss.resteasy.reactive.RestHeader;
import io.opencodefleet.planner.mission.Task;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The mission API. The request body is the same JSON as a {@code fleet.missions} record. */
@Path("/api/v1/missions")
@Produces(MediaType.APPLICATION_JSON)
public class MissionResource {

    @Inject
    MissionService missions;

    @Inject
    MissionEventStream eventStream;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.SUBMITTER)
    public Response submit(String body) {
        if (body.length() > HttpErrors.MAX_BODY_BYTES) {
            return Response.status(413).type(MediaType.APPLICATION_JSON)
                    .entity(java.util.Map.of("error", "the request body is too large: at most " + HttpErrors.MAX_BODY_BYTES + " bytes")).build();
        }
        MissionSubmitted submitted = MessageCodec.decode(body, MissionSubmitted.class);
        String id;
        try {
            id = missions.submit(submitted).id;
        } catch (MissionService.DuplicateMissionException e) {
            id = e.missionId;
        }
        return Response.accepted(view(id)).location(URI.create("/api/v1/missions/" + id)).build();
    }

    @GET
    @Transactional
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.SUBMITTER})
    public List<MissionView> list(@QueryParam("status") String statusParam, @QueryParam("limit") @DefaultValue("100") String limitParam) {
        MissionStatus status = status(statusParam);
        int limit = limit(limitParam);
        List<Mission> found = status == null
                ? Mission.find("order by createdAt desc").page(0, limit).list()
                : Mission.find("status = ?1 order by createdAt desc", status).page(0, limit).list();
        Map<String, Map<String, Long>> counts = new HashMap<>();
        if (!found.isEmpty()) {
            Task.getEntityManager().createQuery(
                    "select t.missionId, t.status, count(t) from Task t where t.missionId in ?1 group by t.missionId, t.status", Object[].class)
                    .setParameter(1, found.stream().map(m -> m.id).toList()).getResultList()
                    .forEach(row -> counts.computeIfAbsent((String) row[0], k -> new java.util.TreeMap<>()).put(row[1].toString(), (Long) row[2]));
        }
        return found.stream().map(m -> MissionView.summary(m, counts.getOrDefault(m.id, Map.of()))).toList();
    }

    /** The largest page {@code list} answers. */
    static final int MAX_LIMIT = 1_000;

    /** Query parameters are checked like a body: a value that is not one gets 400 naming it, never a 404 or a 500. */
    private static MissionStatus status(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return MissionStatus.valueOf(value.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidMessageException("status: '" + Sizes.cut(value, 64) + "' is not one of " + java.util.Arrays.toString(MissionStatus.values()));
        }
    }

    private static int limit(String value) {
        String digits = value.strip();
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Character::isDigit)
                || Integer.parseInt(digits) < 1 || Integer.parseInt(digits) > MAX_LIMIT) {
            throw new InvalidMessageException("limit: '" + Sizes.cut(value, 64) + "' is not a whole number from 1 to " + MAX_LIMIT);
        }
        return Integer.parseInt(digits);
    }

    @GET
    @Path("{id}")
    @Transactional
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.SUBMITTER})
    public MissionView get(@PathParam("id") String id) {
        return view(id);
    }

    private MissionView view(String id) {
        return QuarkusTransaction.joiningExisting().call(
                () -> MissionView.detail(Mission.<Mission>findByIdOptional(id).orElseThrow(() -> new MissionNotFoundException(id))));
    }

    @POST
    @Path("{id}/cancel")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    public MissionView cancel(@PathParam("id") String id) {
        missions.cancel(id, "cancelled through the API").orElseThrow(() -> new MissionNotFoundException(id));
        return view(id);
    }

    /** Resumes a paused mission; the optional guidance goes into every later attempt's prompt. */
    @POST
    @Path("{id}/resume")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    public MissionView resume(@PathParam("id") String id, ResumeRequest request) {
        missions.resume(id, request == null ? null : request.guidance());
        return view(id);
    }

    public record ResumeRequest(String guidance) {
    }

    @POST
    @Path("{id}/tasks/{taskId}/retry")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    public MissionView retry(@PathParam("id") String id, @PathParam("taskId") String taskId) {
        missions.retry(id, taskId);
        return view(id);
    }

    /**
     * The mission's events as Server-Sent Events: every stored one, then live ones; ends after the last. Each
     * event's SSE id is its {@code seq}, so a client that reconnects with {@code Last-Event-ID} resumes after it.
     */
    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.SUBMITTER})
    @Blocking
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @RestHeader("Last-Event-ID") String lastEventId, @Context Sse sse) {
        long after;
        try {
            after = lastEventId == null || lastEventId.isBlank() ? 0 : Long.parseLong(lastEventId.strip());
        } catch (NumberFormatException e) {
            after = -1;
        }
        if (after < 0) {
            throw new BadRequestException("Last-Event-ID: '" + Sizes.cut(lastEventId, 64) + "' is not an event id (a seq, 0 or more)");
        }
        if (QuarkusTransaction.requiringNew().call(() -> Mission.findById(id)) == null) {
            throw new MissionNotFoundException(id);
        }
        return eventStream.follow(id, after).map(event -> sse.newEventBuilder()
                .id(event.seq() == null ? null : event.seq().toString())
                .mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, FleetJson.write(event)).build());
    }
}
