package io.opencodefleet.cli.stack;

import io.opencodefleet.cli.CommandFailure;
import io.opencodefleet.cli.ExitCode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The fleet's database on a PostgreSQL server at 127.0.0.1 (user postgres, trust or no password). */
final class LocalPostgres {

    static final String USER = "postgres";

    private LocalPostgres() {
    }

    static String serverUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    static String databaseUrl(int port, String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    static boolean answers(int port) {
        DriverManager.setLoginTimeout(3);
        try (Connection connection = DriverManager.getConnection(serverUrl(port), USER, "")) {
            return connection.isValid(3);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Creates {@code database} unless it exists (the planner's Flyway creates the schema). */
    static void ensureDatabase(int port, String database) {
        if (!database.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
            throw new CommandFailure(ExitCode.INVALID, "database name '" + database + "': use letters, digits and '_'");
        }
        try (Connection connection = DriverManager.getConnection(serverUrl(port), USER, "");
                PreparedStatement exists = connection.prepareStatement("select 1 from pg_database where datname = ?")) {
            exists.setString(1, database);
            try (ResultSet found = exists.executeQuery()) {
                if (found.next()) {
                    return;
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + database);
            }
        } catch (SQLException e) {
            throw new CommandFailure(ExitCode.LOCAL_FLEET, "PostgreSQL at 127.0.0.1:" + port + ": cannot create database "
                    + database + ": " + e.getMessage());
        }
    }
}
