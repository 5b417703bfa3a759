package io.opencodefleet.common.messages;

import java.util.List;

/** A record or request that cannot be accepted; the message says which field is wrong and why. */
public class InvalidMessageException extends RuntimeException {

    private final List<String> problems;

    public InvalidMessageException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = Copies.list(problems);
    }

    public InvalidMessageException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
