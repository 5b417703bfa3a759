package io.opencodefleet.worker.control;

import io.opencodefleet.common.messages.ControlCommand;
import io.opencodefleet.worker.task.RunningTasks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Hears {@code fleet.control} (a consumer group of its own per worker, so every worker hears every command): a
 * mission's cancel, or the stop of an attempt a newer one replaced.
 */
@ApplicationScoped
public class ControlListener {

    private static final Logger LOG = Logger.getLogger(ControlListener.class);

    @Inject
    RunningTasks running;

    @Incoming("control")
    public void onCommand(ControlCommand command) {
        if (command == null) {
            return; // not a command this worker can read; the planner alone writes fleet.control
        }
        int stopped = running.apply(command);
        if (stopped > 0) {
            LOG.infof("Control %s for %s%s: stopped %d run(s)", command.command(), command.missionId(),
                    command.taskId() == null ? "" : "/" + command.taskId() + " up to attempt " + command.attempt(), stopped);
        }
    }
}
