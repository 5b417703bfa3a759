package io.opencodefleet.planner.api;

import io.opencodefleet.planner.mission.MissionEventRecord;
import io.opencodefleet.common.messages.MissionEvent;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * A mission's events as a stream: the stored ones first, then live ones as they arrive on
 * {@code fleet.events} (this planner hears the topic in a group of its own, so it sees the events every
 * replica publishes). Ends after the mission's final event.
 */
@ApplicationScoped
public class MissionEventStream {

    private final Map<String, Set<Consumer<MissionEvent>>> listeners = new ConcurrentHashMap<>();

    @Incoming("events-live")
    public void onEvent(MissionEvent event) {
        if (event == null) {
            return; // not ours to judge: fleet.events is written by the planner only
        }
        Set<Consumer<MissionEvent>> forMission = listeners.get(event.missionId());
        if (forMission != null) {
            forMission.forEach(listener -> listener.accept(event));
        }
    }

    /** The mission's events after {@code afterSeq} (0: all of them), stored ones first, then live ones. */
    public Multi<MissionEvent> follow(String missionId, long afterSeq) {
        return Multi.createFrom().<MissionEvent>emitter(emitter -> new Follower(missionId, afterSeq, emitter).start());
    }

    /** Subscribes to live events before replaying the stored ones, then hands over without gaps or repeats. */
    private final class Follower implements Consumer<MissionEvent> {
        private final String missionId;
        private final MultiEmitter<? super MissionEvent> emitter;
        private final List<MissionEvent> early = new ArrayList<>();
        private boolean replayed;
        private long lastSeq;

        Follower(String missionId, long afterSeq, MultiEmitter<? super MissionEvent> emitter) {
            this.missionId = missionId;
            this.lastSeq = afterSeq;
            this.emitter = emitter;
        }

        void start() {
            listeners.computeIfAbsent(missionId, id -> ConcurrentHashMap.newKeySet()).add(this);
            emitter.onTermination(this::stop);
            Infrastructure.getDefaultWorkerPool().execute(() -> {
                try {
                    List<MissionEvent> stored = QuarkusTransaction.requiringNew().call(() -> MissionEventRecord.ofMission(missionId));
                    synchronized (this) {
                        stored.forEach(this::emit);
                        early.forEach(this::emit);
                        early.clear();
                        replayed = true;
                    }
                } catch (RuntimeException e) {
                    emitter.fail(e);
                }
            });
        }

        @Override
        public synchronized void accept(MissionEvent event) {
            if (replayed) {
                emit(event);
            } else {
                early.add(event);
            }
        }

        private void emit(MissionEvent event) {
            if (event.seq() != null && event.seq() <= lastSeq) {
                if (event.event().isFinal()) {
                    emitter.complete(); // resumed after the mission's end: nothing more will come
                }
                return;
            }
            lastSeq = event.seq() == null ? lastSeq : event.seq();
            emitter.emit(event);
            if (event.event().isFinal()) {
                emitter.complete();
            }
        }

        private void stop() {
            listeners.computeIfPresent(missionId, (id, set) -> {
                set.remove(this);
                return set.isEmpty() ? null : set;
            });
        }
    }
}
