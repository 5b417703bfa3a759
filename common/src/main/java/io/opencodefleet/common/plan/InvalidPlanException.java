package io.opencodefleet.common.plan;

import io.opencodefleet.common.messages.InvalidMessageException;
import java.util.List;

/** A plan that cannot run: duplicate or unknown ids, a self-dependency, a cycle (named), or too large. */
public class InvalidPlanException extends InvalidMessageException {

    public InvalidPlanException(List<String> problems) {
        super(problems);
    }
}
