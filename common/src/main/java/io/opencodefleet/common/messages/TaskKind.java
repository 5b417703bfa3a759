package io.opencodefleet.common.messages;

/** PLAN tasks ask an agent for the mission's DAG; CODE tasks change the repository; SEAL checks the final branch. */
public enum TaskKind {
    PLAN, CODE, SEAL
}
