package io.opencodefleet.reviewer.review;

import io.opencodefleet.common.git.GitWorkspace;
import io.opencodefleet.common.messages.ReviewRequest;
import jakarta.enterprise.context.ApplicationScoped;

/** The mission's integration branch {@code fleet/<missionId>}: created at {@code repo.baseRef} on first need. */
@ApplicationScoped
public class IntegrationBranch {

    /** Fetches the integration branch (creating it at the base ref when it does not exist yet); returns its head. */
    public String head(GitWorkspace git, ReviewRequest request) {
        String branch = request.integrationBranch();
        if (git.remoteBranchExists(branch)) {
            return git.fetchHead(branch);
        }
        String base = git.fetchHead(request.repo().baseRef());
        if (!git.push(base, branch)) {
            return git.fetchHead(branch); // created concurrently by another reviewer
        }
        return base;
    }
}
