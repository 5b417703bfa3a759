package io.opencodefleet.worker.control;

import io.opencodefleet.common.messages.ControlCommand;
import io.opencodefleet.common.messages.InvalidMessageException;
import io.opencodefleet.common.messages.MessageCodec;
import io.opencodefleet.worker.task.RunningTasks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/** Hears {@code fleet.control} (a consumer group of its own per worker, so every worker hears every command). */
@ApplicationScoped
public class ControlListener {

    private static final Logger LOG = Logger.getLogger(ControlListener.class);

    @Inject
    RunningTasks running;

    @Incoming("control")
    public void onCommand(String json) {
        ControlCommand command;
        try {
            command = MessageCodec.decode(json, ControlCommand.class);
        } catch (InvalidMessageException e) {
            LOG.warnf("Ignoring an invalid control command: %s", e.getMessage());
            return;
        }
        if (command.command() == ControlCommand.Command.CANCEL) {
            int aborted = running.cancel(command.missionId(), command.taskId());
            LOG.infof("Cancel for mission %s: aborted %d running session(s)", command.missionId(), aborted);
        }
    }
}
