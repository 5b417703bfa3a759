package io.opencodefleet.devstack.postgres;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/** A fleet's database on a PostgreSQL server at 127.0.0.1 (user postgres, trust or no password). */
public final class LocalPostgres {

    public static final String USER = "postgres";
    private static final String NAME = "[A-Za-z_][A-Za-z0-9_]{0,62}";

    private LocalPostgres() {
    }

    public static final String LOOPBACK = "127.0.0.1";

    public static String serverUrl(int port) {
        return serverUrl(LOOPBACK, port);
    }

    /** The server on {@code host} (e.g. a test network host's address). */
    public static String serverUrl(String host, int port) {
        return "jdbc:postgresql://" + host + ":" + port + "/postgres";
    }

    public static String databaseUrl(int port, String database) {
        return databaseUrl(LOOPBACK, port, database);
    }

    public static String databaseUrl(String host, int port, String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /**
     * The database of the fleet kept in {@code stateDir}: {@code fleet_} and the first 10 hex digits of the SHA-256
     * of its absolute path, so two state directories never share missions.
     */
    public static String databaseFor(Path stateDir) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(stateDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return "fleet_" + HexFormat.of().formatHex(hash).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Throws IllegalArgumentException unless {@code database} is a plain identifier. */
    public static String requireValidName(String database) {
        if (database == null || !database.matches(NAME)) {
            throw new IllegalArgumentException("database name '" + database + "': use letters, digits and '_' (at most 63)");
        }
        return database;
    }

    public static boolean answers(int port) {
        return answers(LOOPBACK, port);
    }

    public static boolean answers(String host, int port) {
        DriverManager.setLoginTimeout(3);
        try (Connection connection = DriverManager.getConnection(serverUrl(host, port), USER, "")) {
            return connection.isValid(3);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Creates {@code database} unless it exists (the planner's Flyway creates the schema). */
    public static void ensureDatabase(int port, String database) {
        ensureDatabase(LOOPBACK, port, database);
    }

    /** {@link #ensureDatabase(int, String)} on the server at {@code host}. */
    public static void ensureDatabase(String host, int port, String database) {
        requireValidName(database);
        try (Connection connection = DriverManager.getConnection(serverUrl(host, port), USER, "");
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
            throw new IllegalStateException("PostgreSQL at " + host + ":" + port + ": cannot create database " + database
                    + ": " + e.getMessage(), e);
        }
    }

    /** Drops {@code database} if it exists, closing its connections. */
    public static void dropDatabase(int port, String database) {
        requireValidName(database);
        try (Connection connection = DriverManager.getConnection(serverUrl(port), USER, "");
                Statement drop = connection.createStatement()) {
            drop.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at 127.0.0.1:" + port + ": cannot drop database " + database
                    + ": " + e.getMessage(), e);
        }
    }
}
