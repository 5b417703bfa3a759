package io.opencodefleet.planner.api;

/**
 * Who may do what through the API, as roles in the caller's token ({@code groups} claim): submit missions, operate
 * them (cancel, resume, retry), view them. The local fleet's own token holds all three.
 */
public final class Roles {

    public static final String SUBMITTER = "fleet-submitter";
    public static final String OPERATOR = "fleet-operator";
    public static final String VIEWER = "fleet-viewer";

    private Roles() {
    }
}
