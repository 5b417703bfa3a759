package io.opencodefleet.common.redact;

import io.opencodefleet.common.messages.RepoUrls;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Masks what must never leave a service in text it writes (logs, errors, feedback, events, check output): the
 * values of its secret settings (any setting or environment variable whose name says password, secret, token, key,
 * credential or JAAS, and the passwords inside a JAAS line), and the user information of URLs
 * ({@code https://token@host} → {@code https://***@host}). The secrets are read from the service's configuration
 * when it starts; {@link #global()} serves the log filter, which has no CDI.
 */
@Startup
@ApplicationScoped
public class Redactor {

    public static final String MASK = "***";
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|passwd|secret|token|api[_.-]?key|private[_.-]?key"
            + "|credential|jaas|auth[_.-]?header).*");
    private static final Pattern JAAS_PASSWORD = Pattern.compile("password=\"([^\"]+)\"");
    private static final int SHORTEST = 6;
    private static final Redactor GLOBAL = new Redactor(false);

    /** Longest first, so a secret that contains another is masked whole. */
    private final Set<String> secrets = new ConcurrentSkipListSet<>(Comparator.comparingInt(String::length).reversed()
            .thenComparing(Comparator.naturalOrder()));

    public Redactor() {
        this(true);
    }

    private Redactor(boolean fromConfig) {
        if (fromConfig) {
            learn(ConfigProvider.getConfig());
            GLOBAL.secrets.addAll(secrets);
        }
    }

    /** The secrets every redactor of this JVM learned (the log filter uses it). */
    public static Redactor global() {
        return GLOBAL;
    }

    /** Adds a secret value to mask (too short a value is ignored: it would mask ordinary words). */
    public void register(String value) {
        if (value != null && value.strip().length() >= SHORTEST) {
            secrets.add(value.strip());
            if (this != GLOBAL) {
                GLOBAL.secrets.add(value.strip());
            }
        }
    }

    public String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String masked = RepoUrls.redact(text);
        for (String secret : secrets) {
            if (masked.contains(secret)) {
                masked = masked.replace(secret, MASK);
            }
        }
        return masked;
    }

    private void learn(Config config) {
        for (String name : config.getPropertyNames()) {
            if (!SECRET_NAME.matcher(name).matches()) {
                continue;
            }
            config.getOptionalValue(name, String.class).ifPresent(value -> {
                Matcher jaas = JAAS_PASSWORD.matcher(value);
                while (jaas.find()) {
                    register(jaas.group(1));
                }
                if (!value.startsWith("file:") && !value.startsWith("/") && !value.contains("://")) {
                    register(value);
                }
            });
        }
    }
}
