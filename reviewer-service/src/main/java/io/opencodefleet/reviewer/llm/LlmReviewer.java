package io.opencodefleet.reviewer.llm;

import io.opencodefleet.common.messages.ReviewRequest;
import io.opencodefleet.common.messages.Sizes;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.opencode.OpencodeClient;
import io.opencodefleet.common.opencode.OpencodeConfig;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.opencode.OpencodeServers;
import io.opencodefleet.common.opencode.OpencodeSession;
import io.opencodefleet.common.opencode.PromptReply;
import io.opencodefleet.common.prompt.Prompts;
import io.opencodefleet.reviewer.ReviewerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Review by agent: once the checks pass, the reviewer's own OpenCode (the read-only reviewer agent) reads the
 * merged tree and the diff against the task's prompt and answers APPROVE or REJECT with comments. Its server
 * starts on the first review a mission asks for.
 */
@ApplicationScoped
public class LlmReviewer {

    /** The verdict is the reply's first line and nothing else: a diff quoted later can never decide it. */
    private static final Pattern VERDICT = Pattern.compile("\\s*VERDICT:\\s*(APPROVE|REJECT)\\s*", Pattern.CASE_INSENSITIVE);
    private static final int MAX_DIFF_CHARS = 60_000;

    @Inject
    OpencodeServers servers;

    @Inject
    ReviewerConfig config;

    @Inject
    OpencodeConfig opencode;

    @ConfigProperty(name = "fleet.model")
    Optional<String> defaultModel;

    private OpencodeServer server;

    /** The agent's judgement of a merged change; {@code comments} become the next attempt's feedback. */
    public record Review(boolean approved, String comments, Usage usage) {
    }

    public Review review(ReviewRequest result, Path tree, String diff) {
        OpencodeClient client = server().client();
        OpencodeSession session = client.createSession(tree, "review " + result.missionId() + "/" + result.taskId() + " a" + result.attempt());
        String model = result.reviewModel() != null ? result.reviewModel() : defaultModel.filter(m -> !m.isBlank()).orElse(null);
        PromptReply reply;
        try {
            reply = client.promptAsync(session, model, OpencodeServer.REVIEWER_AGENT, prompt(result, diff))
                    .get(config.llmTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            client.abort(session);
            throw new IllegalStateException("the review agent did not answer: " + e.getMessage(), e);
        } finally {
            client.sessionEnded(session, opencode.keptSessions());
        }
        if (!reply.completed()) {
            throw new IllegalStateException("the review agent failed: " + reply.error().name() + ": " + reply.error().message());
        }
        Usage usage = reply.fleetUsage();
        String text = reply.text() == null ? "" : reply.text().strip();
        int newline = text.indexOf('\n');
        String firstLine = newline < 0 ? text : text.substring(0, newline);
        Matcher verdict = VERDICT.matcher(firstLine);
        if (!verdict.matches()) {
            return new Review(false, "The review agent's answer did not start with a line `VERDICT: APPROVE` or `VERDICT: REJECT`;"
                    + " its answer was:\n" + Sizes.cut(text, Sizes.FEEDBACK), usage);
        }
        String comments = newline < 0 ? "" : text.substring(newline + 1).strip();
        return new Review(verdict.group(1).equalsIgnoreCase("APPROVE"), Sizes.cut(comments, Sizes.FEEDBACK), usage);
    }

    static String prompt(ReviewRequest request, String diff) {
        return Prompts.render("review", Map.of("title", request.title() == null ? request.taskId() : request.title(),
                "prompt", request.prompt() == null ? "" : request.prompt().strip(), "diff", Sizes.cut(diff, MAX_DIFF_CHARS)));
    }

    /** The review agent's server: not contained (its agent only reads), started with the first review. */
    private synchronized OpencodeServer server() {
        if (server == null) {
            server = servers.uncontained("reviewer");
        }
        server.ensureHealthy();
        return server;
    }
}
