package io.opencodefleet.testkit.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * A fresh PostgreSQL database for one test run: created on the machine's server at 127.0.0.1:5432 when it
 * answers (override with {@code FLEET_TEST_PG_URL} or {@code -Dfleet.test.pg.url}, a JDBC URL to its maintenance
 * database), else on an embedded
 * PostgreSQL started from Maven Central binaries. {@link #close()} drops it.
 */
public final class TestDatabase implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TestDatabase.class);
    private static final String DEFAULT_SERVER = "jdbc:postgresql://127.0.0.1:5432/postgres";

    private final String serverUrl;
    private final String username;
    private final String password;
    private final String name;
    private final EmbeddedPostgres embedded;

    private TestDatabase(String serverUrl, String username, String password, EmbeddedPostgres embedded) {
        this.serverUrl = serverUrl;
        this.username = username;
        this.password = password;
        this.embedded = embedded;
        this.name = "fleet_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
        execute("CREATE DATABASE " + name);
        LOG.infof("Test database %s on %s", name, embedded != null ? "embedded PostgreSQL" : serverUrl);
    }

    public static TestDatabase create() {
        String url = setting("fleet.test.pg.url", "FLEET_TEST_PG_URL", DEFAULT_SERVER);
        String user = setting("fleet.test.pg.user", "FLEET_TEST_PG_USER", "postgres");
        String password = setting("fleet.test.pg.password", "FLEET_TEST_PG_PASSWORD", "");
        if (answers(url, user, password)) {
            return new TestDatabase(url, user, password, null);
        }
        LOG.infof("No PostgreSQL answers at %s; starting an embedded one", url);
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            return new TestDatabase(pg.getJdbcUrl("postgres", "postgres"), "postgres", "", pg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String setting(String property, String variable, String fallback) {
        return System.getProperty(property, System.getenv().getOrDefault(variable, fallback));
    }

    /** True when this database lives on an embedded PostgreSQL this object started. */
    public boolean embedded() {
        return embedded != null;
    }

    public String jdbcUrl() {
        int slash = serverUrl.lastIndexOf('/');
        int query = serverUrl.indexOf('?', slash);
        return serverUrl.substring(0, slash + 1) + name + (query >= 0 ? serverUrl.substring(query) : "");
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        try {
            execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } finally {
            if (embedded != null) {
                try {
                    embedded.close();
                } catch (IOException e) {
                    LOG.warn("Embedded PostgreSQL did not stop cleanly", e);
                }
            }
        }
    }

    private void execute(String sql) {
        try (Connection c = DriverManager.getConnection(serverUrl, username, password); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL: " + sql + ": " + e.getMessage(), e);
        }
    }

    private static boolean answers(String url, String user, String password) {
        DriverManager.setLoginTimeout(3);
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            return c.isValid(3);
        } catch (SQLException e) {
            return false;
        }
    }
}
