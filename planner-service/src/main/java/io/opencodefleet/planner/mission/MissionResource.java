package io.opencodefleet.planner.mission;

import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.common.messages.MissionSubmitted;
import io.opencodefleet.planner.task.Task;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
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
        return MissionView.detail(Mission.<Mission>findByIdOptional(id).orElseThrow(() -> notFound(id)));
    }

    @POST
    @Path("{id}/cancel")
    public MissionView cancel(@PathParam("id") String id) {
        missions.cancel(id, "cancelled through the API").orElseThrow(() -> notFound(id));
        return get(id);
    }

    private static NotFoundException notFound(String id) {
        return new NotFoundException(Response.status(404).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", "no mission with id '" + id + "'")).build());
    }
}
