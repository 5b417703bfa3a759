package io.opencodefleet.testkit.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TestDatabaseTest {

    @AfterEach
    void clear() {
        System.clearProperty("fleet.test.pg.url");
    }

    @Test
    void aFreshDatabaseOnTheLocalServerIsDroppedAfterwards() throws Exception {
        String name;
        try (TestDatabase db = TestDatabase.create()) {
            name = db.name();
            assertThat(roundTrip(db)).isEqualTo(42);
        }
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                ResultSet rs = c.createStatement().executeQuery("select count(*) from pg_database where datname = '" + name + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    @Test
    void withNoServerAnsweringAnEmbeddedPostgresIsStarted() throws Exception {
        System.setProperty("fleet.test.pg.url", "jdbc:postgresql://127.0.0.1:1/postgres");
        try (TestDatabase db = TestDatabase.create()) {
            assertThat(db.embedded()).isTrue();
            assertThat(roundTrip(db)).isEqualTo(42);
        }
    }

    private static int roundTrip(TestDatabase db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password()); Statement s = c.createStatement()) {
            s.execute("create table answer (n int)");
            s.execute("insert into answer values (42)");
            ResultSet rs = s.executeQuery("select n from answer");
            rs.next();
            return rs.getInt(1);
        }
    }
}
