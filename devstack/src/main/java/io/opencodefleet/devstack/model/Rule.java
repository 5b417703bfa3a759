package io.opencodefleet.devstack.model;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * "When the conversation looks like this, answer with this reply sequence": the first model call of a prompt
 * gets {@code turns[0]}, the call after its tool results came back gets {@code turns[1]}, and so on; past the
 * end the model says "Done." (which ends OpenCode's loop).
 *
 * <p>A rule may first fail: {@link #failFirst(int, int)} answers the first {@code times} calls of each
 * conversation it matches with an HTTP error (for example 429 twice), then proceeds with the turns.
 *
 * @param name a label for logs and recordings
 * @param match which calls this rule answers
 * @param turns the reply sequence
 * @param failStatus HTTP status of the injected failures (0 = none)
 * @param failTimes how many calls per conversation fail before the turns apply
 * @param retryAfterMs value of the {@code retry-after-ms} header sent with each failure (OpenCode honours it;
 *        without it OpenCode backs off 2 s, 4 s, ...), negative = no header
 * @param delay how long the model "thinks" before each answer of this rule (a turn's own delay wins), or null
 *        for the script's delay
 */
public record Rule(String name, Match match, List<Turn> turns, int failStatus, int failTimes, long retryAfterMs,
        Duration delay) {

    public Rule {
        Objects.requireNonNull(match);
        turns = List.copyOf(turns);
        if (delay != null && delay.isNegative()) {
            throw new IllegalArgumentException("negative delay " + delay);
        }
    }

    public Rule(String name, Match match, List<Turn> turns, int failStatus, int failTimes, long retryAfterMs) {
        this(name, match, turns, failStatus, failTimes, retryAfterMs, null);
    }

    /** A rule answering calls that {@code match} accepts; give it turns with {@link #reply(Turn...)}. */
    public static Rule when(Match match) {
        return new Rule("rule", match, List.of(), 0, 0, 0);
    }

    /** A rule answering every call not taken by an earlier rule. */
    public static Rule otherwise() {
        return when(Match.any()).named("otherwise");
    }

    /** The reply sequence, one turn per model call of a prompt. */
    public Rule reply(Turn... turns) {
        return new Rule(name, match, Arrays.asList(turns), failStatus, failTimes, retryAfterMs, delay);
    }

    /** Answers the first {@code times} matching calls of each conversation with HTTP {@code status}. */
    public Rule failFirst(int status, int times) {
        return new Rule(name, match, turns, status, times, retryAfterMs, delay);
    }

    /** The {@code retry-after-ms} header of injected failures (default 0: retry at once); negative = none. */
    public Rule retryAfterMs(long millis) {
        return new Rule(name, match, turns, failStatus, failTimes, millis, delay);
    }

    public Rule named(String name) {
        return new Rule(name, match, turns, failStatus, failTimes, retryAfterMs, delay);
    }

    /** Waits {@code delay} before each answer of this rule (work stays in flight that long). */
    public Rule delay(Duration delay) {
        return new Rule(name, match, turns, failStatus, failTimes, retryAfterMs, delay);
    }

    /** The delay before answering a call at {@code step}: the turn's, else this rule's, else null. */
    public Duration delayAt(int step) {
        Turn turn = step < turns.size() ? turns.get(step) : null;
        return turn != null && turn.delay() != null ? turn.delay() : delay;
    }

    /** The turn for a call at {@code step} of a prompt. */
    public Turn turnAt(int step) {
        if (step < turns.size()) {
            return turns.get(step);
        }
        return Turn.text("Done.");
    }
}
