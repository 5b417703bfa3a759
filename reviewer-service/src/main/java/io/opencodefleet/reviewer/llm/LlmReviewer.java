package io.opencodefleet.reviewer.llm;

import io.opencodefleet.common.messages.TaskResult;
import io.opencodefleet.common.messages.Usage;
import io.opencodefleet.common.opencode.OpencodeBinary;
import io.opencodefleet.common.opencode.OpencodeClient;
import io.opencodefleet.common.opencode.OpencodeEndpoint;
import io.opencodefleet.common.opencode.OpencodeServer;
import io.opencodefleet.common.opencode.OpencodeServerSettings;
import io.opencodefleet.common.opencode.OpencodeSession;
import io.opencodefleet.common.opencode.PromptReply;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Review by agent: once the checks pass, the reviewer's own OpenCode (the read-only reviewer agent) reads the
 * merged tree and the diff against the task's prompt and answers APPROVE or REJECT with comments. Its server
 * starts on the first review a mission asks for.
 */
@ApplicationScoped
public class LlmReviewer {

    private static final Logger LOG = Logger.getLogger(LlmReviewer.class);
    private static final Pattern VERDICT = Pattern.compile("VERDICT:\\s*(APPROVE|REJECT)", Pattern.CASE_INSENSITIVE);
    private static final int MAX_DIFF_CHARS = 60_000;

    @ConfigProperty(name = "fleet.opencode.url")
    Optional<String> url;

    @ConfigProperty(name = "fleet.opencode.password")
    Optional<String> password;

    @ConfigProperty(name = "fleet.opencode.bin")
    Optional<String> binary;

    @ConfigProperty(name = "fleet.opencode.home")
    Path home;

    @ConfigProperty(name = "fleet.model")
    Optional<String> defaultModel;

    @ConfigProperty(name = "fleet.reviewer.llm-timeout", defaultValue = "15m")
    Duration timeout;

    private OpencodeServer server;

    /** The agent's judgement of a merged change; {@code comments} become the next attempt's feedback. */
    public record Review(boolean approved, String comments, Usage usage) {
    }

    public Review review(TaskResult result, Path tree, String diff) {
        OpencodeClient client = server().client();
        OpencodeSession session = client.createSession(tree, "review " + result.missionId() + "/" + result.taskId() + " a" + result.attempt());
        String model = result.reviewModel() != null ? result.reviewModel() : defaultModel.filter(m -> !m.isBlank()).orElse(null);
        PromptReply reply;
        try {
            reply = client.promptAsync(session.id(), tree, model, OpencodeServer.REVIEWER_AGENT, prompt(result, diff))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            client.abort(session.id(), tree);
            throw new IllegalStateException("the review agent did not answer: " + e.getMessage(), e);
        }
        if (!reply.completed()) {
            throw new IllegalStateException("the review agent failed: " + reply.error().name() + ": " + reply.error().message());
        }
        Usage usage = reply.fleetUsage();
        String text = reply.text() == null ? "" : reply.text().strip();
        Matcher verdict = VERDICT.matcher(text);
        if (!verdict.find()) {
            return new Review(false, "The review agent gave no VERDICT line; its answer was:\n" + text, usage);
        }
        String comments = (text.substring(0, verdict.start()) + text.substring(verdict.end())).strip();
        return new Review(verdict.group(1).equalsIgnoreCase("APPROVE"), comments, usage);
    }

    static String prompt(TaskResult result, String diff) {
        String shown = diff.length() > MAX_DIFF_CHARS ? diff.substring(0, MAX_DIFF_CHARS) + "\n[diff cut at " + MAX_DIFF_CHARS + " characters]" : diff;
        return """
                Review a change a coding agent made for this task. The working directory holds the merged tree;
                read any file you need. Do not change anything.

                # Task: %s

                %s

                ## The change
                ```diff
                %s
                ```

                The project's checks passed. Judge whether the change does what the task asks, correctly and completely.
                Answer with a first line `VERDICT: APPROVE` or `VERDICT: REJECT`, then your comments for the author:
                for a rejection, exactly what to fix.
                """.formatted(result.title() == null ? result.taskId() : result.title(), result.prompt() == null ? "" : result.prompt().strip(), shown);
    }

    private synchronized OpencodeServer server() {
        if (server == null) {
            server = url.isPresent()
                    ? OpencodeServer.attach(OpencodeEndpoint.of(url.get(), password.orElse(null)))
                    : OpencodeServer.start(OpencodeServerSettings.of(binary.map(Path::of).orElseGet(OpencodeBinary::locate), home));
            LOG.infof("Review agent's OpenCode at %s", server.endpoint().baseUri());
        }
        server.ensureHealthy();
        return server;
    }

    void stop(@Observes ShutdownEvent event) {
        if (server != null) {
            server.close();
        }
    }
}
