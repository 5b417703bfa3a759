package io.opencodefleet.common.messages;

/** PLAN tasks ask an agent for the mission's DAG; CODE tasks change the repository. */
public enum TaskKind {
    PLAN, CODE
}
