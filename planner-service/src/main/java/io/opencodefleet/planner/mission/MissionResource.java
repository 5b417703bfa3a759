package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionEvent;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import org.jboss.resteasy.reactive.RestStreamElementType;
import io.opencodefleet.planner.task.Task;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
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
    public Response submit(String body) {
        MissionSubmitted submitted = MessageCodec.decode(body, MissionSubmitted.class);
        String id;
        try {
            id = missions.submit(submitted).id;
        } catch (MissionService.DuplicateMissionException e) {
            id = e.missionId;
        }
        return Response.accepted(get(id)).location(URI.create("/api/v1/missions/" + id)).build();
    }

    @GET
    @Transactional
    public List<MissionView> list(@QueryParam("status") MissionStatus status, @QueryParam("limit") @DefaultValue("100") int limit) {
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

    @GET
    @Path("{id}")
    @Transactional
    public MissionView get(@PathParam("id") String id) {
        return MissionView.detail(Mission.<Mission>findByIdOptional(id).orElseThrow(() -> new MissionNotFoundException(id)));
    }

    @POST
    @Path("{id}/cancel")
    public MissionView cancel(@PathParam("id") String id) {
        missions.cancel(id, "cancelled through the API").orElseThrow(() -> new MissionNotFoundException(id));
        return get(id);
    }

    /** Resumes a paused mission; the optional guidance goes into every later attempt's prompt. */
    @POST
    @Path("{id}/resume")
    @Consumes(MediaType.APPLICATION_JSON)
    public MissionView resume(@PathParam("id") String id, ResumeRequest request) {
        missions.resume(id, request == null ? null : request.guidance());
        return get(id);
    }

    public record ResumeRequest(String guidance) {
    }

    @POST
    @Path("{id}/tasks/{taskId}/retry")
    public MissionView retry(@PathParam("id") String id, @PathParam("taskId") String taskId) {
        missions.retry(id, taskId);
        return get(id);
    }

    /** The mission's events as Server-Sent Events: every stored one, then live ones; ends after the last. */
    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Blocking
    public Multi<MissionEvent> events(@PathParam("id") String id) {
        if (QuarkusTransaction.requiringNew().call(() -> Mission.findById(id)) == null) {
            throw new MissionNotFoundException(id);
        }
        return eventStream.follow(id);
    }
}
