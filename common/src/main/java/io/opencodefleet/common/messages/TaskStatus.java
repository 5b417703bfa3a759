package io.opencodefleet.common.messages;

/**
 * How a worker's attempt at a task ended. RELEASED: the worker handed it back unfinished (it was shutting
 * down); another worker takes it at once and it uses up no attempt.
 */
public enum TaskStatus {
    SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, RELEASED
}
